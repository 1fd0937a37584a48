package dev.kvstore.api;

import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * The keys a caller may reach, for checks the security filters cannot make because the keys are in the body or
 * the query: the principal of the request implements it when its token is limited to a key prefix.
 */
public interface KeyScope {

    boolean mayUseKey(String key);

    /** The caller's name (its token's): whose idempotency keys a request's are. */
    String name();

    /** The key prefix the caller is limited to, or {@code null}. */
    String prefix();

    /** The request's caller, or {@code null} when nobody was authenticated. */
    static KeyScope current() {
        var auth = SecurityContextHolder.getContext().getAuthentication();
        return auth != null && auth.getPrincipal() instanceof KeyScope scope ? scope : null;
    }

    /** A request that names a key outside the caller's prefix; answered 403 like the filters' refusals. */
    final class OutOfScopeException extends AccessDeniedException {
        OutOfScopeException(String message) {
            super(message);
        }
    }

    /** Refuses when the request's principal may not reach {@code key}. */
    static void check(String key, String what) {
        var auth = SecurityContextHolder.getContext().getAuthentication();
        if (auth != null && auth.getPrincipal() instanceof KeyScope scope && !scope.mayUseKey(key)) {
            throw new OutOfScopeException(String.format(
                    "This token is limited to a key prefix that %s is not under.", what));
        }
    }
}
