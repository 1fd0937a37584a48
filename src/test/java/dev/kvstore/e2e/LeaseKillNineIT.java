package dev.kvstore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leases and idempotency keys of the packaged jar across a SIGKILL, with a compaction before it: after the restart,
 * a lease left alone is still there when the service answers again, expires no earlier than its whole time to live
 * after the new process started and no later than a second after its time to live counted from when the service
 * answered again, a kept lease and its keys are still
 * there, a revoked lease's keys are still gone, and every write sent with an Idempotency-Key before the kill is
 * answered from its record, applying nothing.
 */
class LeaseKillNineIT {

    private static final long TTL_SECONDS = 8;
    private static final int INCREMENTS = 40;
    private static final Pattern ID = Pattern.compile("\"id\":\"(\\d+)\"");

    @TempDir
    Path dataDir;

    @Test
    void leasesAndIdempotencyKeysSurviveSigkill() throws Exception {
        DockerfileSpec spec = DockerfileSpec.read(Path.of("Dockerfile"));
        Path jar = Path.of(System.getProperty("kv.jar", "target/kv-store.jar"));
        Path output = Files.createDirectories(Path.of("target", "e2e")).resolve("lease-kill-nine.log");
        Files.deleteIfExists(output);
        String kept;
        List<String> firstAnswers = new ArrayList<>();
        try (ServiceProcess service = ServiceProcess.start(spec, jar, dataDir, output)) {
            service.awaitReady(Duration.ofSeconds(90));
            kept = grant(service, 300);
            assertThat(service.send("PUT", "/keys/kept?lease=" + kept, "{\"type\":\"integer\",\"value\":1}")
                    .statusCode()).isEqualTo(201);
            String revoked = grant(service, 300);
            assertThat(service.send("PUT", "/keys/revoked?lease=" + revoked, "{\"type\":\"integer\",\"value\":1}")
                    .statusCode()).isEqualTo(201);
            assertThat(service.delete("/leases/" + revoked).statusCode()).isEqualTo(204);
            for (int i = 0; i < INCREMENTS; i++) {
                if (i == INCREMENTS / 2) {
                    assertThat(service.post("/admin/compaction").statusCode()).isEqualTo(200);
                }
                HttpResponse<String> r = increment(service, i);
                assertThat(r.statusCode()).isIn(200, 201);
                firstAnswers.add(r.body());
            }
            assertThat(service.send("PUT", "/keys/left?ttl=" + TTL_SECONDS + "s",
                    "{\"type\":\"string\",\"value\":\"x\"}").statusCode()).isEqualTo(201);
            service.kill();
        }

        long spawned = System.nanoTime();
        try (ServiceProcess service = ServiceProcess.start(spec, jar, dataDir, output)) {
            service.awaitReady(Duration.ofSeconds(90));
            long ready = System.nanoTime();
            long ttl = TimeUnit.SECONDS.toNanos(TTL_SECONDS);
            // Its deadline passed while the service was down (the start alone may take longer than the time to
            // live); it gets its whole time to live again from the moment the service takes requests.
            assertThat(service.get("/keys/left").statusCode()).as("expired at the restart: early").isEqualTo(200);
            for (int i = 0; i < INCREMENTS; i++) {
                HttpResponse<String> again = increment(service, i);
                assertThat(again.headers().firstValue("Idempotent-Replayed")).as("increment %d", i).contains("true");
                assertThat(again.body()).as("increment %d", i).isEqualTo(firstAnswers.get(i));
            }
            assertThat(service.get("/keys/counter").body()).contains("\"value\":" + INCREMENTS + ",");
            assertThat(service.post("/leases/" + kept + "/keepalive").statusCode()).isEqualTo(200);
            assertThat(service.get("/leases/" + kept).body()).contains("\"keys\":[\"kept\"]");
            assertThat(service.get("/keys/revoked").statusCode()).isEqualTo(404);

            long gone = 0;
            while (gone == 0) {
                int status = service.get("/keys/left").statusCode();
                long now = System.nanoTime();
                if (status == 404) {
                    gone = now;
                } else {
                    assertThat(status).isEqualTo(200);
                    assertThat(now - ready).as("still there a second after its time to live since the restart")
                            .isLessThan(ttl + TimeUnit.SECONDS.toNanos(1));
                    Thread.onSpinWait();
                }
            }
            assertThat(gone - spawned).as("expired before its whole time to live since the restart")
                    .isGreaterThanOrEqualTo(ttl);
            System.out.printf("LeaseKillNineIT: ready %d ms after the start; a lease of %d s left alone expired"
                    + " %d ms after the start, %d ms after ready; %d idempotent increments replayed%n",
                    TimeUnit.NANOSECONDS.toMillis(ready - spawned), TTL_SECONDS,
                    TimeUnit.NANOSECONDS.toMillis(gone - spawned), TimeUnit.NANOSECONDS.toMillis(gone - ready),
                    INCREMENTS);
            service.terminate(Duration.ofSeconds(30));
        }
    }

    private static String grant(ServiceProcess service, int ttlSeconds) throws Exception {
        HttpResponse<String> r = service.send("POST", "/leases", "{\"ttlSeconds\":" + ttlSeconds + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        Matcher m = ID.matcher(r.body());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static HttpResponse<String> increment(ServiceProcess service, int i) throws Exception {
        return service.send("PATCH", "/keys/counter", "{\"increment\":1}", "Idempotency-Key", "inc-" + i);
    }
}
