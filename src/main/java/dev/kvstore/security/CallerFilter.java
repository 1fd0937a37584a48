package dev.kvstore.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Finds out who is calling. With tokens configured, from the {@code Authorization: Bearer} header: a known token
 * becomes its {@link Caller}; an unknown one is remembered, so that the 401 says so. With no token configured and
 * protected mode on (the default), a local client ({@link ProtectedMode}) is the local admin and anything else is
 * refused, except the probes; with protected mode off, everyone is.
 */
final class CallerFilter extends OncePerRequestFilter {

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
        if (!tokens.isEmpty()) {
            caller = fromHeader(request);
        } else if (!protectedMode) {
            caller = Caller.LOCAL;
        } else if (!ProtectedMode.isProbe(request)) {
            switch (ProtectedMode.judge(request)) {
                case LOCAL -> caller = Caller.LOCAL;
                case REMOTE_CLIENT -> {
                    problems.protectedMode(request, response);
                    return;
                }
                case HOST_NOT_LOOPBACK -> {
                    problems.hostNotLoopback(request, response);
                    return;
                }
                case CROSS_SITE -> {
                    problems.crossSite(request, response);
                    return;
                }
            }
        }
        if (caller != null) {
            var auth = UsernamePasswordAuthenticationToken.authenticated(caller, null,
                    caller.role().grantedAuthorities());
            SecurityContextHolder.getContext().setAuthentication(auth);
        }
        chain.doFilter(request, response);
    }

    /**
     * A long poll of {@code GET /watch} is answered in a second, asynchronous dispatch of the same request, which
     * Spring Security authorizes again: find the caller again for it.
     */
    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        return false;
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
}
