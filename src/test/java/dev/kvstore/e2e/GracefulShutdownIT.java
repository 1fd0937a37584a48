package dev.kvstore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to the packaged jar under write load, with its token given as environment variables (as compose and
 * Kubernetes secrets give it): readiness goes DOWN first, the log is forced and closed last, the process exits 0
 * (which it does only when the store stopped without a failure, see {@code ExitStatusTest}), and every acknowledged
 * write is there after the restart.
 */
class GracefulShutdownIT {

    private static final String TOKEN = "graceful-shutdown-token-42";
    private static final Map<String, String> ENV = Map.of("KV_SECURITY_TOKENS_0_TOKEN", TOKEN,
            "KV_SECURITY_TOKENS_0_ROLE", "write", "KV_SECURITY_TOKENS_0_NAME", "loader");
    private static final int WRITERS = 8;

    @TempDir
    Path dataDir;

    @Test
    void sigtermUnderLoadExitsZeroAndLosesNothingAcknowledged() throws Exception {
        DockerfileSpec spec = DockerfileSpec.read(Path.of("Dockerfile"));
        Path jar = Path.of(System.getProperty("kv.jar", "target/kv-store.jar"));
        Path output = Files.createDirectories(Path.of("target", "e2e")).resolve("graceful-shutdown.log");
        Files.deleteIfExists(output);
        long[] acked = new long[WRITERS];
        long[] attempted = new long[WRITERS];

        try (ServiceProcess service = ServiceProcess.start(spec, jar, dataDir, output, "", ENV)) {
            service.awaitReady(Duration.ofSeconds(90));
            assertThat(service.get("/keys/g0").statusCode()).as("no token").isEqualTo(401);
            service.withToken(TOKEN);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong acknowledged = new AtomicLong();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int id = w;
                writers.add(new Thread(() -> {
                    for (long i = 1; !stop.get(); i++) {
                        attempted[id] = i;
                        try {
                            int status = service.put("/keys/g" + id, "{\"type\":\"integer\",\"value\":" + i + "}")
                                    .statusCode();
                            if (status == 200 || status == 201) {
                                acked[id] = i;
                                acknowledged.incrementAndGet();
                            } else {
                                return; // 503 once the log is closed: nothing more is acknowledged
                            }
                        } catch (IOException | InterruptedException refused) {
                            return;
                        }
                    }
                }));
            }
            writers.forEach(Thread::start);
            awaitAcknowledged(acknowledged, WRITERS * 20, Duration.ofSeconds(60));
            int exit = service.terminate(Duration.ofSeconds(45));
            stop.set(true);
            for (Thread t : writers) {
                t.join(30_000);
            }
            // 0 only when the store stopped without a failure (ExitStatusTest shows the 1 after a failed force).
            assertThat(exit).as("exit status after SIGTERM").isZero();
        }
        String log = Files.readString(output);
        int refusing = log.indexOf("Readiness: REFUSING_TRAFFIC");
        int graceful = log.indexOf("Commencing graceful shutdown");
        int closed = log.indexOf("Closed " + dataDir.resolve("kvstore.log").toAbsolutePath());
        assertThat(refusing).as("readiness went DOWN").isPositive();
        assertThat(graceful).as("Tomcat shut down gracefully").isGreaterThan(refusing);
        assertThat(closed).as("the log was forced and closed last").isGreaterThan(graceful);
        assertThat(log.substring(closed, log.indexOf('\n', closed))).matches("Closed .*: \\d+ bytes, forced");

        try (ServiceProcess service = ServiceProcess.start(spec, jar, dataDir, output, "", ENV)) {
            service.awaitReady(Duration.ofSeconds(90));
            service.withToken(TOKEN);
            long total = 0;
            for (int w = 0; w < WRITERS; w++) {
                HttpResponse<String> r = service.get("/keys/g" + w);
                total += acked[w];
                if (acked[w] == 0) {
                    continue;
                }
                assertThat(r.statusCode()).isEqualTo(200);
                long value = Long.parseLong(r.body().replaceAll(".*\"value\":(-?\\d+).*", "$1"));
                assertThat(value).as("writer %d: acknowledged %d, attempted %d", w, acked[w], attempted[w])
                        .isBetween(acked[w], attempted[w]);
            }
            assertThat(total).as("writes acknowledged before SIGTERM").isPositive();
            service.terminate(Duration.ofSeconds(45));
        }
    }

    /** Waits until {@code count} writes have been acknowledged: the load is on. */
    private static void awaitAcknowledged(AtomicLong acknowledged, long count, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (acknowledged.get() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + acknowledged.get() + " writes acknowledged after " + timeout);
            }
            Thread.sleep(10);
        }
    }
}
