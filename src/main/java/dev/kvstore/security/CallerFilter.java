package dev.kvstore.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Set;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Finds out who is calling. With tokens configured, from the {@code Authorization: Bearer} header: a known token
 * becomes its {@link Caller}; an unknown one is remembered, so that the 401 says so. With no token configured,
 * every loopback client is the local admin, and with protected mode on (the default), a client from elsewhere is
 * refused with 403, except on the probes.
 */
final class CallerFilter extends OncePerRequestFilter {

    private static final Set<String> PROBES = Set.of("/actuator/health/liveness", "/actuator/health/readiness");

    private final TokenRegistry tokens;
    private final boolean protectedMode;
    private final SecurityProblems problems;

    CallerFilter(TokenRegistry tokens, boolean protectedMode, SecurityProblems problems) {
        this.tokens = tokens;
        this.protectedMode = protectedMode;
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Caller caller = null;
        if (tokens.isEmpty()) {
            if (protectedMode && !isLoopback(request.getRemoteAddr())) {
                if (!PROBES.contains(request.getRequestURI())) {
                    problems.protectedMode(request, response);
                    return;
                }
            } else {
                caller = Caller.LOCAL;
            }
        } else {
            caller = fromHeader(request);
        }
        if (caller != null) {
            var auth = UsernamePasswordAuthenticationToken.authenticated(caller, null,
                    caller.role().grantedAuthorities());
            SecurityContextHolder.getContext().setAuthentication(auth);
        }
        chain.doFilter(request, response);
    }

    private Caller fromHeader(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header == null) {
            return null;
        }
        Caller caller = header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? tokens.authenticate(header.substring(7).trim()) : null;
        if (caller == null) {
            request.setAttribute(SecurityProblems.INVALID_TOKEN, Boolean.TRUE);
        }
        return caller;
    }

    static boolean isLoopback(String address) {
        // The usual loopback addresses without parsing; anything else is parsed (a literal: no name lookup).
        if ("127.0.0.1".equals(address) || "0:0:0:0:0:0:0:1".equals(address)) {
            return true;
        }
        try {
            // A literal address from the connection: no name lookup happens.
            return address != null && InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
