package dev.kvstore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Dockerfile's default configuration (protected mode, no token) in a Kubernetes pod, as Kubernetes starts it:
 * with {@code KUBERNETES_SERVICE_HOST}/{@code KUBERNETES_SERVICE_PORT} set, which makes Spring Boot detect the
 * platform. A client on another address (a network namespace joined by a veth pair, like another pod) claims to be
 * loopback with {@code X-Forwarded-For: 127.0.0.1} or {@code Forwarded: for=127.0.0.1}: it must still get the
 * protected-mode 403, for a write, an admin operation, a watch (stream and long poll) and a lease grant, and
 * nothing may happen.
 */
class ForwardedHeaderSpoofIT {

    private static final Map<String, String> KUBERNETES = Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1",
            "KUBERNETES_SERVICE_PORT", "443");
    private static final String VALUE = "{\"type\":\"string\",\"value\":\"spoofed\"}";
    private static final String MANUAL_COMPACTIONS = "kv_compaction_seconds_count{outcome=\"completed\","
            + "trigger=\"manual\"}";

    @TempDir
    Path dataDir;

    @Test
    void aClientInThePodNetworkCannotClaimToBeLoopback() throws Exception {
        DockerfileSpec spec = DockerfileSpec.read(Path.of("Dockerfile"));
        Path jar = Path.of(System.getProperty("kv.jar", "target/kv-store.jar"));
        Path output = Files.createDirectories(Path.of("target", "e2e")).resolve("forwarded-header-spoof.log");
        Files.deleteIfExists(output);
        assertThat(spec.env()).as("the image's default").containsEntry("KV_SECURITY_PROTECTED_MODE", "true")
                .doesNotContainKey("KV_SECURITY_TOKENS_0_TOKEN");

        try (NetworkNamespace pod = NetworkNamespace.createOrSkip();
             ServiceProcess service = ServiceProcess.start(spec, jar, dataDir, output, "", KUBERNETES)) {
            service.awaitReady(Duration.ofSeconds(90));
            String base = "http://" + pod.hostAddress + ":" + service.port;

            Reply probe = curl(pod, "GET", base + "/actuator/health/readiness");
            assertThat(probe.status()).as("the namespace reaches the service: %s", probe).isEqualTo(200);
            Reply plain = curl(pod, "PUT", base + "/keys/spoof", "Content-Type: application/json");
            assertThat(plain.status()).as("no header: %s", plain).isEqualTo(403);

            for (String claim : List.of("X-Forwarded-For: 127.0.0.1", "Forwarded: for=127.0.0.1",
                    "X-Forwarded-For: 127.0.0.1, 127.0.0.1")) {
                Reply put = curl(pod, "PUT", base + "/keys/spoof", claim, "Content-Type: application/json");
                assertProtectedMode(put, claim);
                Reply compact = curl(pod, "POST", base + "/admin/compaction", claim);
                assertProtectedMode(compact, claim);
                Reply read = curl(pod, "GET", base + "/actuator/prometheus", claim);
                assertProtectedMode(read, claim);
                Reply stream = curl(pod, "GET", base + "/watch?prefix=", claim, "Accept: text/event-stream");
                assertProtectedMode(stream, claim);
                Reply poll = curl(pod, "GET", base + "/watch?prefix=&wait=1s", claim, "Accept: application/json");
                assertProtectedMode(poll, claim);
                Reply grant = curl(pod, "POST", base + "/leases", claim, "Content-Type: application/json");
                assertProtectedMode(grant, claim);
            }

            // From loopback (the only callers protected mode answers): nothing was written, nothing compacted.
            assertThat(service.get("/keys/spoof").statusCode()).isEqualTo(404);
            String metrics = service.get("/actuator/prometheus").body();
            assertThat(metrics).doesNotContain(MANUAL_COMPACTIONS);
            assertThat(metrics).as("no lease was granted").containsPattern("(?m)^kv_leases(\\{[^}]*\\})? 0\\.0$");
            assertThat(service.post("/admin/compaction").statusCode()).isEqualTo(200);
            assertThat(service.get("/actuator/prometheus").body()).as("the check above can see a compaction")
                    .contains(MANUAL_COMPACTIONS + " 1");
            assertThat(service.put("/keys/leased?ttl=60s", VALUE).statusCode()).isEqualTo(201);
            assertThat(service.get("/actuator/prometheus").body()).as("the check above can see a lease")
                    .containsPattern("(?m)^kv_leases(\\{[^}]*\\})? 1\\.0$");
            service.terminate(Duration.ofSeconds(30));
        }
    }

    private static void assertProtectedMode(Reply reply, String claim) {
        assertThat(reply.status()).as("%s: %s", claim, reply).isEqualTo(403);
        assertThat(reply.contentType()).as("%s: %s", claim, reply).startsWith("application/problem+json");
        assertThat(reply.body()).as(claim).contains("\"type\":\"urn:kv-store:problem:protected-mode\"");
    }

    record Reply(int status, String contentType, String body) {
    }

    /** curl inside the namespace; the body (for PUT) is the test's value. */
    private static Reply curl(NetworkNamespace ns, String method, String url, String... headers) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "-m", "20", "-X", method, "-o", "-",
                "-w", "\n%{http_code}\n%{content_type}"));
        for (String h : headers) {
            command.add("-H");
            command.add(h);
        }
        if (method.equals("PUT")) {
            command.add("--data-binary");
            command.add(VALUE);
        } else if (url.endsWith("/leases")) {
            command.add("--data-binary");
            command.add("{\"ttlSeconds\":60}");
        }
        command.add(url);
        NetworkNamespace.Result r = ns.exec(command);
        assertThat(r.exit()).as("curl %s %s: %s", method, url, r.out()).isZero();
        String[] lines = r.out().split("\n", -1);
        int n = lines.length;
        String body = String.join("\n", java.util.Arrays.copyOf(lines, n - 2));
        return new Reply(Integer.parseInt(lines[n - 2].trim()), lines[n - 1].trim(), body);
    }
}
