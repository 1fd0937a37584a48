package dev.kvstore.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.ApiTest;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The budget of request bytes in flight, over a real port: a slow client holding most of it makes the next large
 * body wait and then get 503 with {@code Retry-After}, read to its end so that its client gets the answer rather
 * than a reset; reads and small bodies that fit go on; once the slow body is in, all is well again. The wait is
 * 1 s rather than a few hundred milliseconds so that on a loaded machine a probe whose PUT holds its share longer
 * than the wait does not make the slow body itself time out (main failed that way at a load of 10 to 15).
 */
@ApiTest(properties = {"kv.limits.max-inflight-bytes=64KB", "kv.limits.inflight-wait=1s"})
class InflightBudgetTest {

    @LocalServerPort
    int port;

    @Test
    void aBodyThatFindsNoRoomGets503AndItsClientReadsTheAnswer() throws Exception {
        byte[] slowBody = body(60 * 1024);
        try (Socket slow = new Socket("localhost", port)) {
            OutputStream out = slow.getOutputStream();
            out.write(head("PUT", "/keys/slow", slowBody.length, "close"));
            out.write(slowBody, 0, 100);
            out.flush();

            // Once the slow request holds its 60 KiB, a 10 KiB body finds no room.
            String probe = new String(body(10 * 1024), StandardCharsets.US_ASCII);
            long deadline = System.nanoTime() + 10_000_000_000L;
            RawHttp.Reply refused;
            do {
                refused = RawHttp.send(port, "PUT", "/keys/probe", "application/json", probe);
            } while (refused.status() != 503 && System.nanoTime() < deadline);
            assertThat(refused.status()).as(refused.head()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("1");
            assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
            assertThat(refused.body()).contains("\"type\":\"urn:kv-store:problem:overloaded\"")
                    .contains("kv.limits.max-inflight-bytes");

            // A refused body is read to its end, even beyond what Tomcat would swallow on its own (2 MiB), so that
            // its client can send all of it and then read the answer, instead of meeting a reset connection.
            byte[] large = body(3 * 1024 * 1024);
            try (Socket client = new Socket("localhost", port)) {
                client.setSoTimeout(10_000);
                OutputStream k = client.getOutputStream();
                k.write(head("PUT", "/keys/large", large.length, "keep-alive"));
                k.write(large);
                k.flush();
                String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).startsWith("HTTP/1.1 503").contains("Retry-After: 1")
                        .endsWith("\"instance\":\"/keys/large\"}");
            }

            // Reads take no share; a body that fits in what is left goes through.
            assertThat(RawHttp.send(port, "GET", "/keys/none", null, null).status()).isEqualTo(404);
            assertThat(RawHttp.send(port, "PUT", "/keys/small", "application/json",
                    "{\"type\":\"integer\",\"value\":1}").status()).isEqualTo(201);

            out.write(slowBody, 100, slowBody.length - 100);
            out.flush();
            assertThat(status(slow.getInputStream())).isEqualTo(201);
        }
        assertThat(RawHttp.send(port, "PUT", "/keys/probe", "application/json",
                new String(body(10 * 1024), StandardCharsets.US_ASCII)).status()).isIn(200, 201);
    }

    @Test
    void aBodyLargerThanTheWholeBudgetRunsAlone() throws Exception {
        RawHttp.Reply reply = RawHttp.send(port, "PUT", "/keys/larger", "application/json",
                new String(body(100 * 1024), StandardCharsets.US_ASCII));
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        assertThat(RawHttp.exchange(port, "GET", "/keys/larger", List.of(), null).body()).hasSizeGreaterThan(100_000);
    }

    /** A JSON string value making a body of exactly {@code size} bytes. */
    private static byte[] body(int size) {
        String head = "{\"type\":\"string\",\"value\":\"";
        return (head + "v".repeat(size - head.length() - 2) + "\"}").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] head(String method, String path, int length, String connection) {
        return (method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + length + "\r\nConnection: " + connection + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static int status(InputStream in) throws Exception {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
            line.write(b);
        }
        return Integer.parseInt(line.toString(StandardCharsets.US_ASCII).substring(9, 12));
    }
}
