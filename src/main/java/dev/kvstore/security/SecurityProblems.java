package dev.kvstore.security;

import dev.kvstore.problem.ProblemType;
import dev.kvstore.problem.ProblemWriter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

/** 401, 403 and 421 as RFC 9457 problems, with the RFC 6750 {@code WWW-Authenticate} challenge where it fits. */
final class SecurityProblems {

    static final String REALM = "Bearer realm=\"kv-store\"";
    private static final String TOKEN_SETTINGS = "kv.security.tokens[0].token and kv.security.tokens[0].role, or"
            + " the environment variables KV_SECURITY_TOKENS_0_TOKEN and KV_SECURITY_TOKENS_0_ROLE";

    private SecurityProblems() {
    }

    /** No token, or a token that is not known: 401. */
    static void unauthorized(HttpServletRequest request, HttpServletResponse response, boolean invalidToken)
            throws IOException {
        response.setHeader("WWW-Authenticate", invalidToken
                ? REALM + ", error=\"invalid_token\", error_description=\"The token is not known\"" : REALM);
        write(request, response, ProblemType.UNAUTHORIZED, invalidToken
                ? "The bearer token is not known. Send a token configured in kv.security.tokens."
                : "This needs a token: send the header 'Authorization: Bearer <token>'.");
    }

    /** A known token whose role or key prefix does not cover the request: 403. */
    static void forbidden(HttpServletRequest request, HttpServletResponse response, String detail)
            throws IOException {
        response.setHeader("WWW-Authenticate", REALM + ", error=\"insufficient_scope\"");
        write(request, response, ProblemType.FORBIDDEN, detail);
    }

    /** A path whose dot segments the routing would resolve away: 400. */
    static void invalidPath(HttpServletRequest request, HttpServletResponse response) throws IOException {
        write(request, response, ProblemType.INVALID_PATH, "The path has a . or .. segment (plain or"
                + " percent-encoded), which is refused so that routing and security never disagree on a path. To"
                + " name a key that holds such a segment, encode its slashes as %2F.");
    }

    /** No token configured, and a client from another host: 403, and how to change that. */
    static void protectedMode(HttpServletRequest request, HttpServletResponse response) throws IOException {
        write(request, response, ProblemType.PROTECTED_MODE,
                "No token is configured, so this server answers loopback clients only: the connection's own"
                        + " address decides, and a request relayed by a proxy (with X-Forwarded-For or Forwarded) is"
                        + " not one. Configure a token (" + TOKEN_SETTINGS
                        + ") and send it as 'Authorization: Bearer <token>', or turn this off deliberately with"
                        + " kv.security.protected-mode=false.");
    }

    /** Protected mode, and a request addressed to a name other than loopback: 421. */
    static void hostNotLoopback(HttpServletRequest request, HttpServletResponse response) throws IOException {
        write(request, response, ProblemType.HOST_NOT_LOOPBACK, String.format(
                "No token is configured, so this server answers only requests addressed to localhost, 127.0.0.1 or"
                        + " [::1], and this one was addressed to '%s'. Any other name that leads here could be a web"
                        + " page's own (DNS rebinding). Use http://localhost:%d/, or configure a token (%s) and send"
                        + " it as 'Authorization: Bearer <token>'.", abbreviate(request.getServerName()),
                request.getLocalPort(), TOKEN_SETTINGS));
    }

    /** Protected mode, and a browser request made by a page of another origin: 403. */
    static void crossSite(HttpServletRequest request, HttpServletResponse response) throws IOException {
        write(request, response, ProblemType.CROSS_SITE, String.format(
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

    private static void write(HttpServletRequest request, HttpServletResponse response, ProblemType type,
                              String detail) throws IOException {
        ProblemWriter.write(request, response, type, detail, Map.of());
    }
}
