package dev.kvstore.api;

import dev.kvstore.replication.ClusterMode;
import dev.kvstore.replication.ReplicatedKeyValueStore;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The HTTP side of cluster mode for keys: the read barrier before reads of a key ({@link KeyEndpoint} takes it) and of
 * the listing (an MVC interceptor). The OpenAPI document of this mode is {@link OpenApiConfiguration}'s.
 */
@Configuration(proxyBeanMethods = false)
@ClusterMode
class ClusterWebConfiguration {

    @Bean
    ReadConsistency readConsistency(ReplicatedKeyValueStore store) {
        return new ReadConsistency(store::readBarrier);
    }

    @Bean
    WebMvcConfigurer listingReadConsistency(ReadConsistency consistency) {
        return new WebMvcConfigurer() {
            @Override
            public void addInterceptors(InterceptorRegistry registry) {
                registry.addInterceptor(consistency).addPathPatterns("/keys");
            }
        };
    }
}
