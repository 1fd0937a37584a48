package dev.kvstore.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * What the web layer asks the security package about a request, once it has decoded the keys it names: whether the
 * caller's token reaches them. The role was decided by {@link SecurityFilter} before the request got here.
 */
public final class Access {

    private Access() {
    }

    /** The caller {@link SecurityFilter} found, or {@code null} on an open route without credentials. */
    public static Caller caller(HttpServletRequest request) {
        return (Caller) request.getAttribute(Caller.ATTRIBUTE);
    }

    /**
     * Refuses when the caller may not reach {@code key}; {@code what} names it in the answer ("the key of operation
     * 2"). A request without a caller is refused too: the keys are never open.
     *
     * @throws OutOfScopeException when the caller may not
     */
    public static void requireKey(HttpServletRequest request, String key, String what) {
        Caller caller = caller(request);
        if (caller == null || !caller.mayUseKey(key)) {
            throw outOfScope(what);
        }
    }

    /** The refusal of a request that reaches {@code what}, outside the caller's key prefix. */
    public static OutOfScopeException outOfScope(String what) {
        return new OutOfScopeException(String.format("This token is limited to a key prefix that %s is not under.",
                what));
    }

    /** Answers a refusal of {@link #requireKey}: 403 with the RFC 6750 challenge. */
    public static void refuse(HttpServletRequest request, HttpServletResponse response, OutOfScopeException e)
            throws IOException {
        SecurityProblems.forbidden(request, response, e.getMessage());
    }

    /** A request that names a key outside the caller's prefix. */
    public static final class OutOfScopeException extends RuntimeException {
        OutOfScopeException(String message) {
            super(message, null, false, false);
        }
    }
}
