package dev.kvstore.security;

import java.util.Locale;
import org.apache.commons.logging.Log;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Forwarded headers ({@code X-Forwarded-For}, {@code X-Forwarded-Proto} ...) are trusted only as the operator
 * configures it: {@code server.forward-headers-strategy=native}, and then only from the proxies listed in
 * {@code server.tomcat.remoteip.internal-proxies} or {@code trusted-proxies}. {@code application.properties} sets
 * the strategy to {@code none}, so that detecting a platform (Kubernetes, Cloud Foundry, Heroku ...) never turns
 * them on, and empties Tomcat's default proxy list, which trusts every private address. The {@code framework}
 * strategy trusts them from any client, so it is refused. Protected mode decides on the TCP peer in any case.
 */
final class ForwardedHeaders {

    static final String STRATEGY = "server.forward-headers-strategy";
    static final String INTERNAL_PROXIES = "server.tomcat.remoteip.internal-proxies";
    static final String TRUSTED_PROXIES = "server.tomcat.remoteip.trusted-proxies";

    private ForwardedHeaders() {
    }

    /** Refuses a strategy other than {@code none} or {@code native}, and logs whom forwarded headers are taken from. */
    static void check(Environment environment, Log log) {
        Binder binder = Binder.get(environment);
        String strategy = binder.bind(STRATEGY, String.class).orElse("").trim().toLowerCase(Locale.ROOT);
        if (!strategy.equals("none") && !strategy.equals("native")) {
            throw new IllegalStateException(STRATEGY + " must be none (the default: forwarded headers are ignored)"
                    + " or native (they are taken only from the proxies listed in " + INTERNAL_PROXIES + " or "
                    + TRUSTED_PROXIES + ", as CIDR ranges such as 10.0.0.7/32), not '" + strategy + "'. The"
                    + " framework strategy would take them from any client.");
        }
        if (strategy.equals("native")) {
            String internal = binder.bind(INTERNAL_PROXIES, String.class).orElse("").trim();
            String trusted = binder.bind(TRUSTED_PROXIES, String.class).orElse("").trim();
            if (internal.isEmpty() && trusted.isEmpty()) {
                log.warn(STRATEGY + "=native, but no proxy is listed in " + INTERNAL_PROXIES + " or "
                        + TRUSTED_PROXIES + ": forwarded headers are ignored");
            } else {
                log.info("Forwarded headers are taken only from the proxies " + internal
                        + (trusted.isEmpty() ? "" : " and " + trusted));
            }
        }
    }
}
