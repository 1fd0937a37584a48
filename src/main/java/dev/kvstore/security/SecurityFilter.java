package dev.kvstore.security;

import dev.kvstore.KvProperties.Role;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.Principal;

/**
 * The one place that lets a request in: it finds out who is calling and whether their role covers the method and
 * path ({@link AccessPolicy}), and refuses with a problem when not. Stateless bearer tokens only: no sessions,
 * cookies, CSRF tokens, form or basic login.
 * <ul>
 *   <li>With tokens configured, the caller is the one whose {@code Authorization: Bearer} token this is; an unknown
 *       token is remembered, so that the 401 says so.</li>
 *   <li>With none, and protected mode on (the default), a local client ({@link ProtectedMode}) is the local admin
 *       and anything else is refused, except the probes; with protected mode off, everyone is.</li>
 * </ul>
 * Paths with dot segments are refused first (400), since the container would resolve them before routing while the
 * key is read from the raw path.
 */
final class SecurityFilter extends HttpFilter {

    private final TokenRegistry tokens;
    private final boolean protectedMode;

    SecurityFilter(TokenRegistry tokens, boolean protectedMode) {
        this.tokens = tokens;
        this.protectedMode = protectedMode;
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (DotSegments.in(request.getRequestURI())) {
            SecurityProblems.invalidPath(request, response);
            return;
        }
        Caller caller = null;
        boolean invalidToken = false;
        if (!tokens.isEmpty()) {
            String header = request.getHeader("Authorization");
            if (header != null) {
                caller = header.regionMatches(true, 0, "Bearer ", 0, 7)
                        ? tokens.authenticate(header.substring(7).trim()) : null;
                invalidToken = caller == null;
            }
        } else if (!protectedMode) {
            caller = Caller.LOCAL;
        } else if (!ProtectedMode.isProbe(request)) {
            switch (ProtectedMode.judge(request)) {
                case LOCAL -> caller = Caller.LOCAL;
                case REMOTE_CLIENT -> {
                    SecurityProblems.protectedMode(request, response);
                    return;
                }
                case HOST_NOT_LOOPBACK -> {
                    SecurityProblems.hostNotLoopback(request, response);
                    return;
                }
                case CROSS_SITE -> {
                    SecurityProblems.crossSite(request, response);
                    return;
                }
            }
        }
        String path = routedPath(request);
        Role needed = AccessPolicy.required(request.getMethod(), path);
        if (needed != null && caller == null) {
            SecurityProblems.unauthorized(request, response, invalidToken);
            return;
        }
        if (needed != null && !caller.role().includes(needed)) {
            SecurityProblems.forbidden(request, response, "The token's role or key prefix does not allow this"
                    + " request.");
            return;
        }
        if (caller == null) {
            chain.doFilter(request, response);
            return;
        }
        request.setAttribute(Caller.ATTRIBUTE, caller);
        // Actuator decides what health shows by the servlet API's principal and roles.
        chain.doFilter(path.startsWith("/actuator") ? new Authenticated(request, caller) : request, response);
    }

    /** The path the container routes by: decoded, normalized, without {@code ;} parameters. */
    private static String routedPath(HttpServletRequest request) {
        String info = request.getPathInfo();
        return info == null ? request.getServletPath() : request.getServletPath() + info;
    }

    /** The caller as the servlet API's user, for the actuator's {@code show-details=when-authorized}. */
    private static final class Authenticated extends HttpServletRequestWrapper {
        private final Caller caller;

        Authenticated(HttpServletRequest request, Caller caller) {
            super(request);
            this.caller = caller;
        }

        @Override
        public Principal getUserPrincipal() {
            return caller::name;
        }

        @Override
        public String getRemoteUser() {
            return caller.name();
        }

        @Override
        public boolean isUserInRole(String role) {
            for (Role r : Role.values()) {
                if (r.name().equals(role) || ("ROLE_" + r.name()).equals(role)) {
                    return caller.role().includes(r);
                }
            }
            return false;
        }
    }
}
