package dev.kvstore.api;

import dev.kvstore.KvProperties;
import dev.kvstore.SingleNodeMode;
import dev.kvstore.store.WalKeyValueStore;
import org.apache.catalina.core.StandardHost;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.json.JsonMapper;

@Configuration(proxyBeanMethods = false)
class WebConfiguration {

    /**
     * Tomcat refuses {@code %2F} and {@code %5C} in a path by default. Keys may hold {@code /}, and clients (Swagger UI among them)
     * send it encoded, so let it through undecoded; {@link KeyPath} decodes it from the raw URI.
     */
    @Bean
    TomcatConnectorCustomizer encodedSlashesPassThrough() {
        return connector -> {
            connector.setEncodedSolidusHandling("passthrough");
            connector.setEncodedReverseSolidusHandling("passthrough");
        };
    }

    /**
     * The plain {@code GET} and {@code PUT /keys/{key}} without MVC's dispatch; after Spring Security's filters
     * (order -100), which have authorized them like any request. Single-node mode only: in cluster mode a read waits
     * for a read barrier first ({@link ClusterWebConfiguration}).
     */
    @Bean
    @SingleNodeMode
    FilterRegistrationBean<KeyFastPath> keyFastPath(WalKeyValueStore store, JsonMapper json, KvProperties properties) {
        FilterRegistrationBean<KeyFastPath> registration = new FilterRegistrationBean<>(
                new KeyFastPath(store, json, properties.limits().maxRequestBytes()));
        registration.addUrlPatterns("/keys/*");
        registration.setOrder(0);
        return registration;
    }

    /**
     * Request bodies in flight within {@code kv.limits.max-inflight-bytes}; after Spring Security, so that only
     * callers it let through take a share, and before the fast path, which reads bodies too.
     */
    @Bean
    FilterRegistrationBean<InflightBudgetFilter> inflightBudget(KvProperties properties, JsonMapper json) {
        KvProperties.Limits limits = properties.limits();
        InflightBudget budget = new InflightBudget(limits.maxInflight(), limits.inflightWait());
        LogFactory.getLog(InflightBudget.class).info(String.format("Request bodies in flight are limited to %d KiB"
                + " (kv.limits.max-inflight-bytes%s); a request waits up to %d ms for room (kv.limits.inflight-wait)",
                limits.maxInflight() / 1024, limits.maxInflightBytes() == null ? ", a sixteenth of the heap" : "",
                limits.inflightWait().toMillis()));
        FilterRegistrationBean<InflightBudgetFilter> registration = new FilterRegistrationBean<>(
                new InflightBudgetFilter(budget, limits.maxRequestBytes(), json));
        registration.setOrder(-50);
        return registration;
    }

    /** Requests Tomcat refuses on its own get problem+json too (see {@link ProblemErrorReportValve}). */
    @Bean
    TomcatContextCustomizer problemErrorReports() {
        return context -> {
            if (context.getParent() instanceof StandardHost host) {
                host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
            }
        };
    }
}
