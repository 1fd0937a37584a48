package dev.kvstore.api;

import org.apache.catalina.core.StandardHost;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

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
