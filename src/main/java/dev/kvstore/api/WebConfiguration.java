package dev.kvstore.api;

import dev.kvstore.KvProperties;
import dev.kvstore.replication.SingleNodeMode;
import dev.kvstore.store.KeyValueStore;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.catalina.core.StandardHost;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.filter.RequestContextFilter;

/**
 * The request path, in order: {@link RequestTimer} (every request, refusals included), the security filter (order
 * -100, in the security package), the {@link InflightBudgetFilter}, {@link KeyEndpoint} for {@code /keys/{key}},
 * then Spring MVC for the other routes. Nothing else runs per request: the observation filter, the form-content and
 * character-encoding filters are switched off in {@code application.properties}, and the request-context filter
 * here.
 */
@Configuration(proxyBeanMethods = false)
class WebConfiguration {

    /**
     * Tomcat refuses {@code %2F} and {@code %5C} in a path by default. Keys may hold {@code /}, and clients (Swagger
     * UI among them) send it encoded, so let it through undecoded; {@link KeyPath} decodes it from the raw URI.
     * Socket buffers are direct, which saves a copy on each read and write.
     */
    @Bean
    TomcatConnectorCustomizer connectorSettings() {
        return connector -> {
            connector.setEncodedSolidusHandling("passthrough");
            connector.setEncodedReverseSolidusHandling("passthrough");
            connector.setProperty("socket.directBuffer", "true");
        };
    }

    @Bean
    FilterRegistrationBean<RequestTimer> requestTimer(MeterRegistry registry) {
        FilterRegistrationBean<RequestTimer> registration = new FilterRegistrationBean<>(new RequestTimer(registry));
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    /**
     * Request bodies in flight within {@code kv.limits.max-inflight-bytes}; after the security filter, so that only
     * callers it let through take a share, and before the handlers, which read bodies.
     */
    @Bean
    FilterRegistrationBean<InflightBudgetFilter> inflightBudget(KvProperties properties) {
        KvProperties.Limits limits = properties.limits();
        InflightBudget budget = new InflightBudget(limits.maxInflight(), limits.inflightWait());
        LogFactory.getLog(InflightBudget.class).info(String.format("Request bodies in flight are limited to %d KiB"
                + " (kv.limits.max-inflight-bytes%s); a request waits up to %d ms for room (kv.limits.inflight-wait)",
                limits.maxInflight() / 1024, limits.maxInflightBytes() == null ? ", a sixteenth of the heap" : "",
                limits.inflightWait().toMillis()));
        FilterRegistrationBean<InflightBudgetFilter> registration = new FilterRegistrationBean<>(
                new InflightBudgetFilter(budget, limits.maxRequestBytes()));
        registration.setOrder(-50);
        return registration;
    }

    /** Watch streams can drop the connection of a client that stopped reading ({@link ConnectionAbortValve}). */
    @Bean
    TomcatContextCustomizer watchConnectionAbort() {
        return context -> context.getPipeline().addValve(new ConnectionAbortValve());
    }

    /** In cluster mode, reads first pass the read barrier ({@link ClusterWebConfiguration}). */
    @Bean
    FilterRegistrationBean<KeyEndpoint> keyEndpoint(KeyValueStore store, IdempotentWrites writes,
                                                    ObjectProvider<ReadConsistency> consistency,
                                                    KvProperties properties) {
        FilterRegistrationBean<KeyEndpoint> registration = new FilterRegistrationBean<>(new KeyEndpoint(store, writes,
                consistency.getIfAvailable(() -> ReadConsistency.SINGLE_NODE), properties.limits().maxRequestBytes()));
        registration.addUrlPatterns("/keys/*");
        registration.setOrder(0);
        return registration;
    }

    /**
     * Spring MVC's dispatcher exposes the request to its handlers itself; the filter that would do it for every
     * request besides is registered disabled (its bean keeps Spring Boot from adding one).
     */
    @Bean
    RequestContextFilter requestContextFilter() {
        return new RequestContextFilter();
    }

    @Bean
    FilterRegistrationBean<RequestContextFilter> requestContextFilterOff(RequestContextFilter filter) {
        FilterRegistrationBean<RequestContextFilter> registration = new FilterRegistrationBean<>(filter);
        registration.setEnabled(false);
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
