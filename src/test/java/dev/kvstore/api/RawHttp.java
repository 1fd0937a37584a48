package dev.kvstore.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Sends a request exactly as written, which URI-validating clients refuse to do (e.g. {@code %zz}), or with the
 * headers a browser would send ({@code Host}, {@code Origin}, {@code Sec-Fetch-*}), which clients set themselves.
 */
public final class RawHttp {

    public record Reply(int status, String head, String body) {

        /** The value of a response header, or {@code null}. */
        public String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    private RawHttp() {
    }

    static Reply sendWithHeader(int port, String method, String target, String name, String value)
            throws IOException {
        return send(port, method, target, null, null, List.of(name + ": " + value));
    }

    static Reply send(int port, String method, String target, String contentType, String body) throws IOException {
        return send(port, method, target, contentType, body, List.of());
    }

    /**
     * Sends {@code headers} ("Name: value" lines) as they are, with {@code Host: localhost} unless they have a
     * {@code Host}, and a JSON body when {@code body} is not {@code null}.
     */
    public static Reply exchange(int port, String method, String target, List<String> headers, String body)
            throws IOException {
        return send(port, method, target, body == null ? null : "application/json", body, headers);
    }

    private static Reply send(int port, String method, String target, String contentType, String body,
                              List<String> headers) throws IOException {
        try (Socket s = new Socket("localhost", port)) {
            s.setSoTimeout(10_000);
            byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            List<String> lines = new ArrayList<>();
            if (headers.stream().noneMatch(h -> h.regionMatches(true, 0, "Host:", 0, 5))) {
                lines.add("Host: localhost");
            }
            lines.add("Connection: close");
            if (contentType != null) {
                lines.add("Content-Type: " + contentType);
            }
            lines.addAll(headers);
            lines.add("Content-Length: " + payload.length);
            StringBuilder req = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            lines.forEach(line -> req.append(line).append("\r\n"));
            req.append("\r\n");
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
