package dev.kvstore.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.ApiTest;
import dev.kvstore.KeyPrefix;
import dev.kvstore.api.RawHttp;
import dev.kvstore.store.WalKeyValueStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Protected mode against the browser on the user's own machine, over a real port with the headers a browser sends.
 * A page of another origin must not write (a simple cross-site request needs no CORS permission) nor read through
 * DNS rebinding (its requests then carry its own host name); Swagger UI served by the store itself keeps working.
 * Each refusal changes nothing.
 */
class BrowserRequestTest {

    static final String VALUE = "{\"type\":\"integer\",\"value\":1}";

    @Nested
    @ApiTest
    class ProtectedModeWithoutToken {

        @LocalServerPort
        int port;

        @KeyPrefix
        String own;

        @Autowired
        WalKeyValueStore store;

        @Test
        void aHostThatDoesNotNameLoopbackGets421AndChangesNothing() throws IOException {
            long revision = store.revision();
            long compactions = store.status().compaction().completed();
            for (String host : List.of("attacker.example:" + port, "attacker.example", "localhost.attacker.example",
                    "localhost.", "10.0.0.1:" + port)) {
                for (String[] request : List.of(new String[] {"PUT", "/keys/" + own + "rebound"},
                        new String[] {"GET", "/keys/" + own + "rebound"}, new String[] {"POST", "/admin/compaction"},
                        new String[] {"GET", "/actuator/prometheus"})) {
                    RawHttp.Reply reply = RawHttp.exchange(port, request[0], request[1], List.of("Host: " + host),
                            request[0].equals("PUT") ? VALUE : null);
                    assertProblem(reply, 421, "host-not-loopback", host + " " + request[0] + " " + request[1]);
                    assertThat(reply.body()).contains("http://localhost:" + port + "/");
                }
            }
            assertThat(store.revision()).as("nothing was written").isEqualTo(revision);
            assertThat(store.status().compaction().completed()).as("nothing was compacted").isEqualTo(compactions);
        }

        @Test
        void everyLoopbackNameIsAnsweredWithAnyPort() throws IOException {
            for (String host : List.of("localhost:" + port, "localhost", "LocalHost:" + port, "127.0.0.1:" + port,
                    "127.0.0.1", "[::1]:" + port, "[::1]")) {
                assertThat(RawHttp.exchange(port, "GET", "/keys/" + own + "none", List.of("Host: " + host), null)
                        .status())
                        .as(host).isEqualTo(404);
            }
        }

        @Test
        void aPageOfAnotherOriginCannotWriteOrProbeAndChangesNothing() throws IOException {
            long revision = store.revision();
            long compactions = store.status().compaction().completed();
            List<List<String>> crossSite = List.of(
                    List.of("Origin: http://attacker.example", "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors"),
                    // An older browser: only Origin, on a simple request.
                    List.of("Origin: http://attacker.example"),
                    List.of("Sec-Fetch-Site: cross-site"),
                    // Another page on this machine is another origin too (Sec-Fetch-Site says same-site).
                    List.of("Origin: http://localhost:3000", "Sec-Fetch-Site: same-site", "Sec-Fetch-Mode: cors"),
                    // A sandboxed frame, a file or a redirect: an opaque origin.
                    List.of("Origin: null"),
                    List.of("Origin: https://localhost:" + port),
                    List.of("Origin: http://localhost:" + (port + 1)));
            for (List<String> headers : crossSite) {
                List<String> withHost = new ArrayList<>(headers);
                withHost.add("Host: localhost:" + port);
                assertProblem(RawHttp.exchange(port, "PUT", "/keys/" + own + "csrf", withHost, VALUE), 403,
                        "cross-site",
                        "PUT " + headers);
                assertProblem(RawHttp.exchange(port, "POST", "/admin/compaction", withHost, null), 403,
                        "cross-site", "POST " + headers);
                assertProblem(RawHttp.exchange(port, "DELETE", "/keys/" + own + "csrf", withHost, null), 403,
                        "cross-site",
                        "DELETE " + headers);
                // Not even whether a key exists (a script or image tag's load or error event would tell).
                assertProblem(RawHttp.exchange(port, "GET", "/keys/" + own + "csrf", withHost, null), 403, "cross-site",
                        "GET " + headers);
            }
            assertThat(store.revision()).as("nothing was written").isEqualTo(revision);
            assertThat(store.status().compaction().completed()).as("nothing was compacted").isEqualTo(compactions);
        }

        @Test
        void followingALinkFromAnotherSiteStillOpensThePage() throws IOException {
            List<String> navigation = List.of("Host: localhost:" + port, "Sec-Fetch-Site: cross-site",
                    "Sec-Fetch-Mode: navigate", "Sec-Fetch-Dest: document");
            assertThat(RawHttp.exchange(port, "GET", "/swagger-ui/index.html", navigation, null).status())
                    .isEqualTo(200);
            // A form posted from another site is a navigation too, and is refused.
            List<String> form = new ArrayList<>(navigation);
            form.add("Origin: http://attacker.example");
            assertProblem(RawHttp.exchange(port, "POST", "/admin/compaction", form, null), 403, "cross-site", "form");
        }

        /** What Swagger UI served by the store sends, with the headers Chromium adds to it. */
        @Test
        void swaggerUiServedByTheStoreKeepsWorking() throws IOException {
            for (String origin : List.of("http://localhost:" + port, "http://127.0.0.1:" + port)) {
                String host = "Host: " + origin.substring("http://".length());
                List<String> page = List.of(host, "Sec-Fetch-Site: none", "Sec-Fetch-Mode: navigate",
                        "Sec-Fetch-Dest: document");
                RawHttp.Reply entry = RawHttp.exchange(port, "GET", "/swagger-ui.html", page, null);
                assertThat(entry.status()).as(origin).isEqualTo(302);
                assertThat(RawHttp.exchange(port, "GET", "/swagger-ui/index.html", page, null).status()).isEqualTo(200);
                List<String> script = List.of(host, "Sec-Fetch-Site: same-origin", "Sec-Fetch-Mode: cors",
                        "Sec-Fetch-Dest: empty", "Referer: " + origin + "/swagger-ui/index.html");
                assertThat(RawHttp.exchange(port, "GET", "/v3/api-docs/swagger-config", script, null).status())
                        .isEqualTo(200);
                assertThat(RawHttp.exchange(port, "GET", "/v3/api-docs", script, null).status()).isEqualTo(200);
                // "Try it out": fetch() adds Origin to every request but GET and HEAD.
                List<String> write = new ArrayList<>(script);
                write.add("Origin: " + origin);
                assertThat(RawHttp.exchange(port, "PUT", "/keys/" + own + "try%2Fit", write, VALUE).status()).as(origin)
                        .isIn(200, 201);
                assertThat(RawHttp.exchange(port, "GET", "/keys/" + own + "try%2Fit", script, null).status())
                        .isEqualTo(200);
                assertThat(RawHttp.exchange(port, "POST", "/admin/compaction", write, null).status()).isEqualTo(200);
                assertThat(RawHttp.exchange(port, "DELETE", "/keys/" + own + "try%2Fit", write, null).status())
                        .isEqualTo(204);
            }
        }

        @Test
        void probesAreAnsweredWhateverTheHost() throws IOException {
            assertThat(RawHttp.exchange(port, "GET", "/actuator/health/readiness",
                    List.of("Host: 10.1.2.3:" + port), null).status()).isEqualTo(200);
        }
    }

    /** A bearer token is not sent by the browser on its own, so with tokens these checks have nothing to protect. */
    @Nested
    @TokenApiTest
    class WithToken {

        static final String TOKEN = TokenApiTest.ADMIN;

        @LocalServerPort
        int port;

        @KeyPrefix
        String own;

        @Test
        void anyHostAndOriginMayUseAToken() throws IOException {
            List<String> headers = List.of("Host: kv.example.internal:" + port, "Origin: https://app.example",
                    "Sec-Fetch-Site: cross-site", "Authorization: Bearer " + TOKEN);
            assertThat(RawHttp.exchange(port, "PUT", "/keys/" + own + "remote", headers, VALUE).status())
                    .isEqualTo(201);
            assertThat(RawHttp.exchange(port, "PUT", "/keys/" + own + "remote",
                    List.of("Host: kv.example.internal:" + port), VALUE).status()).as("no token").isEqualTo(401);
        }
    }

    static void assertProblem(RawHttp.Reply reply, int status, String type, String what) {
        assertThat(reply.status()).as(what + ": " + reply.body()).isEqualTo(status);
        assertThat(reply.header("Content-Type")).as(what).startsWith("application/problem+json");
        assertThat(reply.body()).as(what).contains("\"type\":\"urn:kv-store:problem:" + type + "\"")
                .contains("\"status\":" + status).contains("kv.security.tokens[0].token");
    }
}
