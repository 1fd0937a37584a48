package dev.kvstore.security;

import dev.kvstore.KvProperties;
import dev.kvstore.api.KeyPath;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpMethod;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.access.intercept.RequestAuthorizationContext;
import org.springframework.security.web.firewall.StrictHttpFirewall;
import tools.jackson.databind.json.JsonMapper;

/**
 * Who may do what, in one place:
 * <ul>
 *   <li>open to all: the liveness and readiness probes, the health summary (details only for {@code admin}), the
 *       OpenAPI document and Swagger UI;</li>
 *   <li>{@code GET}/{@code HEAD /keys/**}: {@code read}; other methods on {@code /keys/**} and {@code /batch}:
 *       {@code write}; a token with a key prefix only reaches keys under it;</li>
 *   <li>{@code GET /leases/**}: {@code read} (a token with a key prefix sees only the keys under it); other methods
 *       on {@code /leases}: {@code write} (such a token revokes only a lease whose keys are all under it);</li>
 *   <li>{@code /admin/**} and every other actuator endpoint: {@code admin};</li>
 *   <li>anything else: any known caller (then 404 or 405 as routing says).</li>
 * </ul>
 * Stateless bearer tokens only: no sessions, cookies, CSRF tokens, form or basic login.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    private static final Log LOG = LogFactory.getLog(SecurityConfiguration.class);

    @Bean
    SecurityFilterChain apiSecurity(HttpSecurity http, KvProperties properties, JsonMapper json,
                                    Environment environment) throws Exception {
        TokenRegistry tokens = new TokenRegistry(properties.security().tokens());
        SecurityProblems problems = new SecurityProblems(json);
        ForwardedHeaders.check(environment, LOG);
        logMode(tokens, properties.security());
        http.csrf(c -> c.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .httpBasic(b -> b.disable())
                .formLogin(f -> f.disable())
                .logout(l -> l.disable())
                .requestCache(c -> c.disable())
                .addFilterBefore(new CallerFilter(tokens, properties.security().protectedMode(), problems),
                        AuthorizationFilter.class)
                .exceptionHandling(e -> e.authenticationEntryPoint(problems::unauthorized)
                        .accessDeniedHandler(problems::forbidden))
                .authorizeHttpRequests(a -> a
                        .requestMatchers("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness")
                        .permitAll()
                        .requestMatchers("/v3/api-docs", "/v3/api-docs/**", "/swagger-ui.html", "/swagger-ui/**",
                                "/error").permitAll()
                        .requestMatchers(HttpMethod.GET, "/keys/**").access(keys(Role.READ))
                        .requestMatchers(HttpMethod.HEAD, "/keys/**").access(keys(Role.READ))
                        .requestMatchers("/keys/**").access(keys(Role.WRITE))
                        .requestMatchers("/batch").hasRole(Role.WRITE.name())
                        .requestMatchers(HttpMethod.GET, "/leases/**").hasRole(Role.READ.name())
                        .requestMatchers("/leases", "/leases/**").hasRole(Role.WRITE.name())
                        .requestMatchers("/admin/**", "/actuator/**").hasRole(Role.ADMIN.name())
                        .anyRequest().authenticated());
        return http.build();
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

    /**
     * Keys may hold {@code /}, {@code %}, {@code \\} and {@code ;}, sent percent-encoded, so the firewall lets those
     * encodings through (Tomcat passes them undecoded, and {@code KeyPath} decodes them once). It still refuses
     * {@code .} and {@code ..} segments, plain or encoded, whose meaning the container and the routing could
     * disagree on.
     */
    @Bean
    StrictHttpFirewall keyFriendlyFirewall() {
        StrictHttpFirewall firewall = new StrictHttpFirewall();
        firewall.setAllowUrlEncodedSlash(true);
        firewall.setAllowUrlEncodedDoubleSlash(true);
        firewall.setAllowUrlEncodedPercent(true);
        firewall.setAllowBackSlash(true);
        firewall.setAllowSemicolon(true);
        return firewall;
    }

    /** The role, and for a token with a key prefix, a key under it. */
    private static AuthorizationManager<RequestAuthorizationContext> keys(Role needed) {
        return (authentication, context) -> {
            if (!(authentication.get().getPrincipal() instanceof Caller caller) || !caller.role().includes(needed)) {
                return new AuthorizationDecision(false);
            }
            String key = KeyPath.keyOrNull(context.getRequest());
            // An invalid or missing key passes here and gets its 400 from the API.
            return new AuthorizationDecision(key == null || caller.mayUseKey(key));
        };
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
