package dev.kvstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.kvstore.ApiTest;
import dev.kvstore.KeyPrefix;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The limits that protect the process, at their defaults: each refused early, with a 4xx problem. */
@ApiTest
class LimitsTest {

    @LocalServerPort
    int port;

    @KeyPrefix
    String own;

    @Test
    void aOneGibibyteBodyIsRefusedWith413BeforeItIsRead() throws Exception {
        try (Socket s = new Socket("localhost", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("PUT /keys/" + own + "huge HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1073741824\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write("{\"type\":\"string\",\"value\":\"".getBytes(StandardCharsets.ISO_8859_1));
            out.write(new byte[64 * 1024]);
            out.flush();
            // The answer comes while 1 GiB minus 64 KiB is still unsent: the body was never waited for.
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (head.indexOf("\r\n\r\n") < 0) {
                int b = in.read();
                assertThat(b).as("the answer came before the connection closed").isNotNegative();
                head.append((char) b);
            }
            assertThat(head.toString()).startsWith("HTTP/1.1 413").contains("application/problem+json");
        }
        given().port(port).get("/keys/" + own + "huge").then().statusCode(404);
    }

    @Test
    void anOversizedHeaderIsRefusedWithAProblem() throws Exception {
        RawHttp.Reply reply = RawHttp.sendWithHeader(port, "GET", "/keys/" + own + "x", "X-Padding",
                "p".repeat(20_000));
        assertThat(reply.status()).isBetween(400, 431);
        assertThat(reply.head()).containsIgnoringCase("Content-Type: application/problem+json");
    }

    @Test
    void deepJsonNestingIsRefused() {
        String deep = "[".repeat(200) + "]".repeat(200);
        given().port(port).contentType("application/json")
                .body("{\"type\":\"string\",\"value\":" + deep + "}").put("/keys/" + own + "deep").then()
                .statusCode(400).body("detail", containsString("nesting"));
    }

    @Test
    void hugeNumbersAreRefused() {
        given().port(port).contentType("application/json")
                .body("{\"type\":\"integer\",\"value\":" + "9".repeat(5000) + "}").put("/keys/" + own + "n").then()
                .statusCode(400).body("type", equalTo("urn:kv-store:problem:malformed-json"))
                .body("detail", containsString("Number value length"));
        given().port(port).contentType("application/json")
                .body("{\"type\":\"float\",\"value\":1" + "0".repeat(400) + "}").put("/keys/" + own + "n").then()
                .statusCode(400).body("detail", containsString("outside the range of a 64-bit float"));
    }

    @Test
    void aValueOverTheLimitIsRefusedWith413() {
        given().port(port).contentType("application/json")
                .body("{\"type\":\"string\",\"value\":\"" + "v".repeat(4 * 1024 * 1024 + 1) + "\"}")
                .put("/keys/" + own + "v")
                .then().statusCode(413).body("detail", containsString("4194305"));
    }
}
