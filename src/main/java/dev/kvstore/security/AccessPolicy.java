package dev.kvstore.security;

import dev.kvstore.KvProperties.Role;
import java.util.Set;

/**
 * Which role a request needs, by method and path: the one table of who may do what.
 * <ul>
 *   <li>open to all: the liveness and readiness probes, the health summary (details only for {@code admin}), the
 *       OpenAPI document and Swagger UI;</li>
 *   <li>{@code GET}/{@code HEAD /keys/**} and {@code /keys}, and {@code /watch}: {@code read}; other methods on
 *       the keys and {@code /batch}: {@code write};</li>
 *   <li>{@code GET /leases/**}: {@code read} (a token limited to a key prefix sees only the keys under it); other
 *       methods on {@code /leases}: {@code write} (such a token revokes only a lease whose keys are all under
 *       it);</li>
 *   <li>{@code /admin/**} and every other actuator endpoint: {@code admin};</li>
 *   <li>anything else: any known caller (then 404 or 405 as routing says).</li>
 * </ul>
 * A token limited to a key prefix is further checked against each key the request names ({@link Access}), by the
 * web layer once it has decoded them: the path's key, a listing's or a watch's prefix, a batch's keys.
 *
 * <p>The path is the one the container routes by: decoded, normalized and without {@code ;} parameters
 * ({@link SecurityFilter} refuses dot segments before it gets here, so that the raw and the routed path name the
 * same resource).
 */
final class AccessPolicy {

    private static final Set<String> OPEN = Set.of("/actuator/health", "/actuator/health/liveness",
            "/actuator/health/readiness", "/v3/api-docs", "/swagger-ui.html", "/error");
    private static final String[] OPEN_PREFIXES = {"/v3/api-docs/", "/swagger-ui/"};

    private AccessPolicy() {
    }

    /** The role {@code method} on {@code path} needs, or {@code null} when it is open to everyone. */
    static Role required(String method, String path) {
        if (path.startsWith("/keys/") || path.equals("/keys")) {
            return method.equals("GET") || method.equals("HEAD") ? Role.READ : Role.WRITE;
        }
        if (path.equals("/watch")) {
            return Role.READ;
        }
        if (path.equals("/batch")) {
            return Role.WRITE;
        }
        if (path.startsWith("/leases/") || path.equals("/leases")) {
            return method.equals("GET") || method.equals("HEAD") ? Role.READ : Role.WRITE;
        }
        if (OPEN.contains(path)) {
            return null;
        }
        for (String prefix : OPEN_PREFIXES) {
            if (path.startsWith(prefix)) {
                return null;
            }
        }
        if (path.startsWith("/admin/") || path.equals("/admin") || path.startsWith("/actuator")) {
            return Role.ADMIN;
        }
        return Role.READ;
    }
}
