package dev.kvstore.security;

import dev.kvstore.KvProperties;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The security filter in front of everything (see {@link SecurityFilter} for who may do what), and what it relies
 * on: the TCP peer of each request, forwarded headers only from listed proxies, secrets masked in actuator output.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    /** Before every other filter of the application but the request timer, which times refusals too. */
    static final int ORDER = -100;

    private static final Log LOG = LogFactory.getLog(SecurityConfiguration.class);

    @Bean
    FilterRegistrationBean<SecurityFilter> securityFilter(KvProperties properties, Environment environment) {
        TokenRegistry tokens = new TokenRegistry(properties.security().tokens());
        ForwardedHeaders.check(environment, LOG);
        logMode(tokens, properties.security());
        FilterRegistrationBean<SecurityFilter> registration = new FilterRegistrationBean<>(
                new SecurityFilter(tokens, properties.security().protectedMode()));
        registration.setOrder(ORDER);
        return registration;
    }

    /**
     * Should an operator expose {@code /actuator/env} or {@code configprops} with their values shown, tokens, their
     * hashes and other likely secrets (the command line among them) still show as {@code ******}.
     */
    @Bean
    SanitizingFunction secretsStayMasked() {
        return SanitizingFunction.sanitizeValue().ifLikelySensitive().ifKeyEndsWith("sha256");
    }

    /** The TCP peer of every request, for protected mode (see {@link PeerAddressValve}). */
    @Bean
    TomcatContextCustomizer peerAddress() {
        return context -> context.getPipeline().addValve(new PeerAddressValve());
    }

    private static void logMode(TokenRegistry tokens, KvProperties.Security security) {
        if (!tokens.isEmpty()) {
            LOG.info("Bearer tokens required: " + security.tokens().size() + " configured");
        } else if (security.protectedMode()) {
            LOG.warn("No token configured: protected mode answers loopback clients only, addressed as localhost and"
                    + " not from web pages of other origins (see kv.security.*)");
        } else {
            LOG.warn("No token configured and protected mode off: every client has full access");
        }
    }
}
