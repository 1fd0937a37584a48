package dev.kvstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.ApiTest;
import dev.kvstore.KeyPrefix;
import dev.kvstore.store.StoreOptions;
import dev.kvstore.store.Value;
import dev.kvstore.store.WalKeyValueStore;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

/** The fast path answers plain GETs and PUTs exactly as the controller would, and hands everything else on. */
class KeyFastPathTest {

    @Nested
    class Alone {
        @TempDir
        Path dir;

        /** The body the chain (the controller) got, or {@code null} when the filter answered on its own. */
        private String handedOn(WalKeyValueStore store, MockHttpServletRequest request) throws Exception {
            String[] body = {null};
            new KeyFastPath(store, JsonMapper.builder().build(), 1 << 20).doFilter(request,
                    new MockHttpServletResponse(), (req, res) -> body[0] = new String(req.getInputStream().readAllBytes(),
                            StandardCharsets.UTF_8));
            return body[0];
        }

        private static MockHttpServletRequest put(String uri, String contentType, String body) {
            MockHttpServletRequest r = get(uri);
            r.setMethod("PUT");
            r.setContentType(contentType);
            r.setContent(body.getBytes(StandardCharsets.UTF_8));
            return r;
        }

        @Test
        void writesOnlyAPlainPutThatParsesAndHandsTheRestOnWithItsBody() throws Exception {
            try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
                String ok = "{\"type\":\"integer\",\"value\":7}";
                assertThat(handedOn(store, put("/keys/p", "application/json", ok))).isNull();
                assertThat(store.get("p")).isEqualTo(Value.of(7L));
                long revision = store.revision();

                String bad = "{\"type\":\"integer\",\"value\":7.5}";
                assertThat(handedOn(store, put("/keys/p", "application/json", bad))).as("400").isEqualTo(bad);
                assertThat(handedOn(store, put("/keys/p", "text/plain", ok))).as("415").isEqualTo(ok);
                String huge = "{\"type\":\"string\",\"value\":\"" + "v".repeat(5 << 20) + "\"}";
                MockHttpServletRequest tooBig = put("/keys/p", "application/json", huge);
                assertThat(handedOn(store, tooBig)).as("413").isEqualTo(huge);
                MockHttpServletRequest conditional = put("/keys/p", "application/json", ok);
                conditional.addHeader("If-Match", "\"1\"");
                assertThat(handedOn(store, conditional)).as("If-Match").isEqualTo(ok);
                assertThat(store.revision()).as("nothing written by what was handed on").isEqualTo(revision);
            }
        }

        private static MockHttpServletRequest get(String uri) {
            MockHttpServletRequest r = new MockHttpServletRequest("GET", uri);
            r.setRequestURI(uri);
            return r;
        }

        @Test
        void answersOnlyAPlainReadOfAKeyWithAValue() throws Exception {
            try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
                store.set("k", Value.of(1L));
                assertThat(handedOn(store, get("/keys/k"))).isNull();

                assertThat(handedOn(store, get("/keys/missing"))).as("404").isNotNull();
                assertThat(handedOn(store, get("/keys/"))).as("no key").isNotNull();
                assertThat(handedOn(store, get("/keys/%zz"))).as("bad encoding").isNotNull();
                assertThat(handedOn(store, get("/keys/" + "x".repeat(2000)))).as("too long").isNotNull();
                MockHttpServletRequest head = get("/keys/k");
                head.setMethod("HEAD");
                assertThat(handedOn(store, head)).as("HEAD").isNotNull();
                for (String header : List.of("If-Match", "If-None-Match")) {
                    MockHttpServletRequest conditional = get("/keys/k");
                    conditional.addHeader(header, "\"1\"");
                    assertThat(handedOn(store, conditional)).as(header).isNotNull();
                }
                MockHttpServletRequest xml = get("/keys/k");
                xml.addHeader("Accept", "application/xml");
                assertThat(handedOn(store, xml)).as("406").isNotNull();
                MockHttpServletRequest query = get("/keys/k");
                query.setQueryString("x=1");
                assertThat(handedOn(store, query)).as("query").isNotNull();
            }
        }
    }

    @Nested
    @ApiTest
    class OverARealPort {
        @LocalServerPort
        int port;

        @KeyPrefix
        String own;

        @Test
        void aPutOnTheFastPathAndOneThroughTheControllerAnswerAlike() {
            String body = "{\"type\":\"string\",\"value\":\"a \\\"b\\\" ü\"}";
            Response fast = given().port(port).urlEncodingEnabled(false).contentType("application/json").body(body)
                    .put("/keys/" + own + "put/%C3%BC%2Ffast");
            Response slow = given().port(port).urlEncodingEnabled(false).contentType("application/json")
                    .header("Accept", "application/json, */*;q=0.1").body(body)
                    .put("/keys/" + own + "put/%C3%BC%2Fslow");
            assertThat(fast.statusCode()).isEqualTo(201);
            assertThat(slow.statusCode()).isEqualTo(201);
            assertThat(fast.header("Location")).isEqualTo("/keys/" + own + "put/%C3%BC/fast");
            assertThat(slow.header("Location")).isEqualTo("/keys/" + own + "put/%C3%BC/slow");
            assertThat(fast.asString().replace("fast", "slow").replaceAll("\"(create)?[rR]evision\":\\d+", ""))
                    .isEqualTo(slow.asString().replaceAll("\"(create)?[rR]evision\":\\d+", ""));
            assertThat(fast.header("Content-Type")).isEqualTo(slow.header("Content-Type"));
            // Replaced: 200 and the new ETag, on both paths.
            Response again = given().port(port).urlEncodingEnabled(false).contentType("application/json").body(body)
                    .put("/keys/" + own + "put/%C3%BC%2Ffast");
            assertThat(again.statusCode()).isEqualTo(200);
            assertThat(again.header("ETag")).isEqualTo("\"" + again.jsonPath().getLong("revision") + "\"");
            // A body the fast path cannot parse reaches the controller whole, and gets its problem.
            given().port(port).contentType("application/json").body("{\"type\":\"integer\",\"value\":1.5}")
                    .put("/keys/" + own + "put/bad").then().statusCode(400)
                    .contentType(org.hamcrest.Matchers.containsString("application/problem+json"))
                    .body("type", org.hamcrest.Matchers.equalTo("urn:kv-store:problem:invalid-value"));
        }

        @Test
        void theFastPathAndTheControllerAnswerTheSameBytesAndHeaders() {
            String[] bodies = {"{\"type\":\"string\",\"value\":\"välue ✓ \\\"q\\\" \\\\ \\n\\t\\u0001 🙂 </\"}",
                    "{\"type\":\"integer\",\"value\":-9223372036854775808}", "{\"type\":\"float\",\"value\":-0.0}",
                    "{\"type\":\"float\",\"value\":5e-324}", "{\"type\":\"string\",\"value\":\"\"}"};
            for (int i = 0; i < bodies.length; i++) {
                String path = "/keys/" + own + "fast/%C3%BC%2F" + i;
                given().port(port).urlEncodingEnabled(false).contentType("application/json").body(bodies[i]).put(path)
                        .then().statusCode(201);
                Response fast = given().port(port).urlEncodingEnabled(false).get(path);
                // An Accept the fast path leaves to the controller, which answers JSON all the same.
                Response slow = given().port(port).urlEncodingEnabled(false)
                        .header("Accept", "application/json, */*;q=0.1").get(path);
                assertThat(fast.statusCode()).isEqualTo(200);
                assertThat(slow.statusCode()).isEqualTo(200);
                assertThat(new String(fast.asByteArray(), StandardCharsets.UTF_8))
                        .isEqualTo(new String(slow.asByteArray(), StandardCharsets.UTF_8));
                for (String h : List.of("Content-Type", "ETag", "Cache-Control", "X-Content-Type-Options",
                        "X-Frame-Options")) {
                    assertThat(fast.header(h)).as(h).isEqualTo(slow.header(h));
                }
                // The fast path knows the length up front; MVC streams the body in chunks.
                assertThat(fast.header("Content-Length")).isEqualTo(String.valueOf(fast.asByteArray().length));
            }
        }
    }
}
