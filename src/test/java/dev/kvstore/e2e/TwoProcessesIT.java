package dev.kvstore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two packaged jars on one data directory, as a rolling update on a shared volume or {@code docker run} twice
 * makes them: the second refuses to start, naming the directory and the first one's process; the offline
 * {@code repair} refuses too while the first runs; and the first keeps every write it acknowledged, before and
 * after.
 */
class TwoProcessesIT {

    private static final Duration START = Duration.ofSeconds(90);

    @TempDir
    Path dataDir;

    @Test
    void aSecondServiceOnTheSameDataDirectoryRefusesAndTheFirstKeepsEveryAcknowledgedWrite() throws Exception {
        DockerfileSpec spec = DockerfileSpec.read(Path.of("Dockerfile"));
        Path jar = Path.of(System.getProperty("kv.jar", "target/kv-store.jar"));
        Path logs = Files.createDirectories(Path.of("target", "e2e"));
        Path firstOut = logs.resolve("two-processes-first.log");
        Path secondOut = logs.resolve("two-processes-second.log");
        Files.deleteIfExists(firstOut);
        Files.deleteIfExists(secondOut);
        Map<String, String> acknowledged = new LinkedHashMap<>();

        try (ServiceProcess first = ServiceProcess.start(spec, jar, dataDir, firstOut)) {
            first.awaitReady(START);
            put(first, acknowledged, "before", 50);

            try (ServiceProcess second = ServiceProcess.start(spec, jar, dataDir, secondOut)) {
                int exit = second.awaitExit(START);
                String log = second.log();
                assertThat(exit).as(log).isNotZero();
                assertThat(log).contains("in use by another kv-store process")
                        .contains(dataDir.toAbsolutePath().toString())
                        .contains("pid " + first.pid())
                        .contains("Run one kv-store process per data directory");
            }
            Process repair = new ProcessBuilder(List.of("java", "-jar", jar.toString(), "repair",
                    dataDir.resolve("kvstore.log").toString())).redirectErrorStream(true).start();
            String repairOut = new String(repair.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(repair.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(repair.exitValue()).as(repairOut).isEqualTo(75);
            assertThat(repairOut).contains("pid " + first.pid());

            put(first, acknowledged, "after", 50);
            assertThat(first.terminate(Duration.ofSeconds(30))).isZero();
        }

        try (ServiceProcess again = ServiceProcess.start(spec, jar, dataDir, firstOut)) {
            again.awaitReady(START);
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                HttpResponse<String> got = again.get("/keys/" + e.getKey());
                assertThat(got.statusCode()).as(e.getKey()).isEqualTo(200);
                assertThat(got.body()).as(e.getKey()).isEqualTo(e.getValue());
            }
            assertThat(acknowledged).hasSize(100);
            again.terminate(Duration.ofSeconds(30));
        }
    }

    private static void put(ServiceProcess service, Map<String, String> acknowledged, String prefix, int n)
            throws Exception {
        for (int i = 0; i < n; i++) {
            String key = prefix + "-" + i;
            HttpResponse<String> r = service.put("/keys/" + key, "{\"type\":\"integer\",\"value\":" + i + "}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            acknowledged.put(key, r.body());
        }
    }
}
