package dev.kvstore.api;

import jakarta.servlet.ServletException;
import java.io.IOException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;

/**
 * Gives a watch request the means to drop its connection at once: a stream whose client has stopped reading has
 * bytes waiting in Tomcat that {@code AsyncContext.complete()} would go on trying to send (until the connection
 * timeout). The servlet API has no abort, so this valve hands the request Tomcat's own ({@code CLOSE_NOW}, what
 * Tomcat does after an I/O error), as a {@link Runnable} in the request attribute {@link #ATTRIBUTE}.
 *
 * <p>Tomcat reuses the request's objects for later connections: the stream runs the abort only while its request is
 * current, under the lock its container callbacks take ({@link SseStream}).
 */
final class ConnectionAbortValve extends ValveBase {

    static final String ATTRIBUTE = ConnectionAbortValve.class.getName() + ".abort";

    ConnectionAbortValve() {
        super(true);
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        if (request.getDecodedRequestURI().equals("/watch")) {
            org.apache.coyote.Response coyote = response.getCoyoteResponse();
            request.setAttribute(ATTRIBUTE, (Runnable) () -> coyote.action(ActionCode.CLOSE_NOW, null));
        }
        getNext().invoke(request, response);
    }
}
