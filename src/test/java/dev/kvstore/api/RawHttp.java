package dev.kvstore.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Sends a request line exactly as written, which URI-validating clients refuse to do (e.g. {@code %zz}). */
final class RawHttp {

    record Reply(int status, String head, String body) {
    }

    private RawHttp() {
    }

    static Reply sendWithHeader(int port, String method, String target, String name, String value)
            throws IOException {
        return send(port, method, target, null, null, name + ": " + value + "\r\n");
    }

    static Reply send(int port, String method, String target, String contentType, String body) throws IOException {
        return send(port, method, target, contentType, body, "");
    }

    private static Reply send(int port, String method, String target, String contentType, String body,
                              String extraHeaders) throws IOException {
        try (Socket s = new Socket("localhost", port)) {
            s.setSoTimeout(10_000);
            byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            StringBuilder req = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                    .append("Host: localhost\r\nConnection: close\r\n");
            if (contentType != null) {
                req.append("Content-Type: ").append(contentType).append("\r\n");
            }
            req.append(extraHeaders);
            req.append("Content-Length: ").append(payload.length).append("\r\n\r\n");
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(payload);
            out.flush();
            InputStream in = s.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int split = all.indexOf("\r\n\r\n");
            String head = split < 0 ? all : all.substring(0, split);
            String rest = split < 0 ? "" : all.substring(split + 4);
            int status = Integer.parseInt(head.substring(9, 12));
            return new Reply(status, head, rest);
        }
    }
}
