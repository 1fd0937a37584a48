package dev.kvstore.security;

import dev.kvstore.api.KeyScope;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import tools.jackson.databind.json.JsonMapper;

/**
 * 401, 403 and 421 as RFC 9457 problems, with the RFC 6750 {@code WWW-Authenticate} challenge where it fits.
 */
final class SecurityProblems {

    static final String REALM = "Bearer realm=\"kv-store\"";
    static final String INVALID_TOKEN = "kv.invalidToken";
    private static final String TOKEN_SETTINGS = "kv.security.tokens[0].token and kv.security.tokens[0].role, or"
            + " the environment variables KV_SECURITY_TOKENS_0_TOKEN and KV_SECURITY_TOKENS_0_ROLE";

    private final JsonMapper json;

    SecurityProblems(JsonMapper json) {
        this.json = json;
    }

    /** No token, or a token that is not known: 401. */
    void unauthorized(HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
            throws IOException {
        boolean invalid = request.getAttribute(INVALID_TOKEN) != null;
        response.setHeader("WWW-Authenticate", invalid
                ? REALM + ", error=\"invalid_token\", error_description=\"The token is not known\"" : REALM);
        write(request, response, 401, "unauthorized", "Unauthorized", invalid
                ? "The bearer token is not known. Send a token configured in kv.security.tokens."
                : "This needs a token: send the header 'Authorization: Bearer <token>'.");
    }

    /** A known token whose role or key prefix does not cover the request: 403. */
    void forbidden(HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
            throws IOException {
        response.setHeader("WWW-Authenticate", REALM + ", error=\"insufficient_scope\"");
        write(request, response, 403, "forbidden", "Forbidden", e instanceof KeyScope.OutOfScopeException
                ? e.getMessage() : "The token's role or key prefix does not allow this request.");
    }

    /** No token configured, and a client from another host: 403, and how to change that. */
    void protectedMode(HttpServletRequest request, HttpServletResponse response) throws IOException {
        write(request, response, 403, "protected-mode", "Protected mode",
                "No token is configured, so this server answers loopback clients only: the connection's own"
                        + " address decides, and a request relayed by a proxy (with X-Forwarded-For or Forwarded) is"
                        + " not one. Configure a token (" + TOKEN_SETTINGS
                        + ") and send it as 'Authorization: Bearer <token>', or turn this off deliberately with"
                        + " kv.security.protected-mode=false.");
    }

    /** Protected mode, and a request addressed to a name other than loopback: 421. */
    void hostNotLoopback(HttpServletRequest request, HttpServletResponse response) throws IOException {
        write(request, response, 421, "host-not-loopback", "Host not loopback", String.format(
                "No token is configured, so this server answers only requests addressed to localhost, 127.0.0.1 or"
                        + " [::1], and this one was addressed to '%s'. Any other name that leads here could be a web"
                        + " page's own (DNS rebinding). Use http://localhost:%d/, or configure a token (%s) and send"
                        + " it as 'Authorization: Bearer <token>'.", abbreviate(request.getServerName()),
                request.getLocalPort(), TOKEN_SETTINGS));
    }

    /** Protected mode, and a browser request made by a page of another origin: 403. */
    void crossSite(HttpServletRequest request, HttpServletResponse response) throws IOException {
        write(request, response, 403, "cross-site", "Cross-site request", String.format(
                "No token is configured, so local clients get full access, and a request a web page of another"
                        + " origin makes through the browser (Origin: %s, Sec-Fetch-Site: %s) is refused, so that"
                        + " the page cannot use that access. Call the store from a program that is not a web page"
                        + " (curl, your application) or from its own Swagger UI (/swagger-ui.html), or configure a"
                        + " token (%s) and send it as 'Authorization: Bearer <token>'.",
                abbreviate(request.getHeader("Origin")), abbreviate(request.getHeader("Sec-Fetch-Site")),
                TOKEN_SETTINGS));
    }

    private static String abbreviate(String header) {
        return header == null ? "none" : header.length() <= 100 ? header : header.substring(0, 100) + "...";
    }

    private void write(HttpServletRequest request, HttpServletResponse response, int status, String slug,
                       String title, String detail) throws IOException {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", "urn:kv-store:problem:" + slug);
        problem.put("title", title);
        problem.put("status", status);
        problem.put("detail", detail);
        problem.put("instance", request.getRequestURI());
        response.setStatus(status);
        response.setContentType("application/problem+json");
        response.getOutputStream().write(json.writeValueAsBytes(problem));
    }
}
