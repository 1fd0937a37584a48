package dev.kvstore.security;

import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;

/**
 * Protected mode, with no token configured, makes loopback the credential; every decision about "a local client" is
 * made here. A request is answered when:
 * <ul>
 *   <li>its TCP peer is loopback ({@link PeerAddressValve}), and so is the client that proxies the operator listed
 *       report for it: a header never makes a client local, and a request a proxy nobody listed relayed (it
 *       carries {@code X-Forwarded-For} or {@code Forwarded}) is not local either, whatever the proxy's address;</li>
 *   <li>its {@code Host} names loopback ({@code localhost}, {@code 127.0.0.1} or {@code [::1]}, any port; Tomcat's
 *       server name, which is the {@code Host}'s): a web page can get the browser to send its requests to this
 *       machine under the page's own host name (DNS rebinding);</li>
 *   <li>it is not a browser request made by a page of another origin ({@code Origin}, {@code Sec-Fetch-Site}): such
 *       a page can send writes to localhost without reading the answers (a CSRF-style simple request). A top-level
 *       GET or HEAD navigation, a link the user follows, still works.</li>
 * </ul>
 * The probes are answered to anyone.
 */
final class ProtectedMode {

    enum Verdict { LOCAL, REMOTE_CLIENT, HOST_NOT_LOOPBACK, CROSS_SITE }

    private static final Set<String> PROBES = Set.of("/actuator/health/liveness", "/actuator/health/readiness");
    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]");

    private ProtectedMode() {
    }

    static boolean isProbe(HttpServletRequest request) {
        return PROBES.contains(request.getRequestURI());
    }

    static Verdict judge(HttpServletRequest request) {
        if (!isLoopback(peerAddress(request)) || !isLoopback(request.getRemoteAddr()) || isRelayed(request)) {
            return Verdict.REMOTE_CLIENT;
        }
        if (!LOOPBACK_NAMES.contains(request.getServerName().toLowerCase(Locale.ROOT))) {
            return Verdict.HOST_NOT_LOOPBACK;
        }
        if (isCrossSite(request) && !isNavigation(request)) {
            return Verdict.CROSS_SITE;
        }
        return Verdict.LOCAL;
    }

    /**
     * Relayed by a proxy on this machine (a sidecar, a local nginx) that nobody listed: it still says so in a header.
     * Tomcat removes the header of a listed proxy once it has taken the client's address from it.
     */
    private static boolean isRelayed(HttpServletRequest request) {
        return request.getHeader("X-Forwarded-For") != null || request.getHeader("Forwarded") != null;
    }

    /** The TCP peer; outside Tomcat (MockMvc), where no valve runs, the remote address. */
    static String peerAddress(HttpServletRequest request) {
        return request.getAttribute(PeerAddressValve.PEER_ADDRESS) instanceof String peer
                ? peer : request.getRemoteAddr();
    }

    static boolean isLoopback(String address) {
        // The usual loopback addresses without parsing; anything else is parsed (a literal: no name lookup).
        if ("127.0.0.1".equals(address) || "0:0:0:0:0:0:0:1".equals(address)) {
            return true;
        }
        try {
            return address != null && InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Made by a page of another origin, as the browser says. */
    static boolean isCrossSite(HttpServletRequest request) {
        String site = request.getHeader("Sec-Fetch-Site");
        if (site != null && !site.equals("same-origin") && !site.equals("none")) {
            return true;
        }
        String origin = request.getHeader("Origin");
        return origin != null && !isSameOrigin(origin, request);
    }

    private static boolean isNavigation(HttpServletRequest request) {
        String method = request.getMethod();
        return (method.equals("GET") || method.equals("HEAD"))
                && "navigate".equals(request.getHeader("Sec-Fetch-Mode"));
    }

    /**
     * The origin is this request's scheme, host and port, as its {@code Host} gives them ({@code null}, the origin
     * of a sandboxed frame or a file, is not).
     */
    private static boolean isSameOrigin(String origin, HttpServletRequest request) {
        URI uri;
        try {
            uri = new URI(origin);
        } catch (URISyntaxException e) {
            return false;
        }
        return uri.getScheme() != null && uri.getScheme().equalsIgnoreCase(request.getScheme())
                && uri.getHost() != null && uri.getHost().equalsIgnoreCase(request.getServerName())
                && (uri.getRawPath() == null || uri.getRawPath().isEmpty())
                && port(uri) == request.getServerPort();
    }

    private static int port(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }
}
