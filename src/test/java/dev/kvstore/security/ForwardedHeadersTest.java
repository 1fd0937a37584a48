package dev.kvstore.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kvstore.ApiTest;
import dev.kvstore.TestApps;
import dev.kvstore.api.RawHttp;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Forwarded headers count only as the operator configures them, over a real port. (A client on another address
 * claiming loopback in a Kubernetes pod is {@code ForwardedHeaderSpoofIT}.)
 */
class ForwardedHeadersTest {

    @TempDir
    static Path dataDir;

    static final String VALUE = "{\"type\":\"integer\",\"value\":1}";

    /** native, with the local proxy listed: what it reports about the client counts, and only loopback is local. */
    @Nested
    @ApiTest(properties = {
            "server.forward-headers-strategy=native", "server.tomcat.remoteip.internal-proxies=127.0.0.1/32, ::1/128"})
    class ThroughAListedProxy {

        @LocalServerPort
        int port;

        @Test
        void aRemoteClientBehindALocalProxyIsRemote() throws IOException {
            RawHttp.Reply reply = RawHttp.exchange(port, "PUT", "/keys/proxied",
                    List.of("X-Forwarded-For: 203.0.113.7"), VALUE);
            assertThat(reply.status()).as(reply.body()).isEqualTo(403);
            assertThat(reply.body()).contains("urn:kv-store:problem:protected-mode");
            assertThat(RawHttp.exchange(port, "GET", "/keys/proxied", List.of(), null).status()).isEqualTo(404);
            assertThat(RawHttp.exchange(port, "PUT", "/keys/proxied", List.of("X-Forwarded-For: 127.0.0.1"), VALUE)
                    .status()).as("a local client through the local proxy").isEqualTo(201);
        }
    }

    /**
     * native, but no proxy listed (Tomcat's default list of private ranges is not used), on a detected platform: a
     * proxy on this machine that relays clients (a sidecar, a local nginx) does not make them local.
     */
    @Nested
    @ApiTest(properties = {"server.forward-headers-strategy=native", "spring.main.cloud-platform=kubernetes"})
    class WithoutAListedProxy {

        @LocalServerPort
        int port;

        @Test
        void aRequestRelayedByAnUnlistedLocalProxyIsNotLocal() throws IOException {
            for (String relayed : List.of("X-Forwarded-For: 127.0.0.1", "X-Forwarded-For: 203.0.113.7",
                    "Forwarded: for=127.0.0.1")) {
                RawHttp.Reply reply = RawHttp.exchange(port, "PUT", "/keys/relayed", List.of(relayed), VALUE);
                assertThat(reply.status()).as(relayed + ": " + reply.body()).isEqualTo(403);
                assertThat(reply.body()).contains("urn:kv-store:problem:protected-mode");
            }
            assertThat(RawHttp.exchange(port, "GET", "/keys/relayed", List.of(), null).status()).isEqualTo(404);
            assertThat(RawHttp.exchange(port, "PUT", "/keys/relayed", List.of(), VALUE).status())
                    .as("the same request straight from loopback").isEqualTo(201);
        }
    }

    @Test
    void theFrameworkStrategyTrustsEveryClientAndIsRefused() {
        assertThatThrownBy(() -> TestApps.start(dataDir.resolve("framework"),
                "--server.forward-headers-strategy=framework").close())
                .rootCause().hasMessageContaining("server.forward-headers-strategy must be none")
                .hasMessageContaining("framework strategy would take them from any client");
    }
}
