package dev.kvstore.security;

import jakarta.servlet.ServletException;
import java.io.IOException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;

/**
 * Records the TCP peer of each request, as Tomcat accepted the connection, before anything reads it: a
 * {@code RemoteIpValve} (forwarded headers) rewrites the remote address, never the peer. Protected mode decides on
 * the peer, so a client cannot become "loopback" by sending a header.
 */
final class PeerAddressValve extends ValveBase {

    static final String PEER_ADDRESS = PeerAddressValve.class.getName() + ".peerAddress";

    PeerAddressValve() {
        super(true);
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        request.setAttribute(PEER_ADDRESS, request.getPeerAddr());
        getNext().invoke(request, response);
    }
}
