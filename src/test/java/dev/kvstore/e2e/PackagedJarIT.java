package dev.kvstore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar, started with exactly the Dockerfile's command and environment: it becomes ready on the
 * HEALTHCHECK URL, serves the API, stops on SIGTERM, and keeps its data across the restart.
 */
class PackagedJarIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static DockerfileSpec spec;
    private static Path jar;

    @TempDir
    Path dataDir;

    @BeforeAll
    static void readDockerfile() throws Exception {
        spec = DockerfileSpec.read(Path.of("Dockerfile"));
        jar = Path.of(System.getProperty("kv.jar", "target/kv-store.jar"));
        assertThat(jar).exists();
    }

    @Test
    void theDockerfileCommandServesAndKeepsDataAcrossARestart() throws Exception {
        assertThat(spec.env()).containsEntry("KV_DATA_DIR", "/data").containsKey("JAVA_TOOL_OPTIONS");
        assertThat(spec.healthPath()).isEqualTo("/actuator/health/readiness");
        assertThat(spec.healthFollowsServerPort()).as("HEALTHCHECK uses ${SERVER_PORT}").isTrue();
        assertThat(spec.port()).isEqualTo(Integer.parseInt(spec.env().get("SERVER_PORT")));
        Path output = Files.createDirectories(Path.of("target", "e2e")).resolve("packaged-jar.log");
        Files.deleteIfExists(output);

        try (ServiceProcess service = ServiceProcess.start(spec, jar, dataDir, output)) {
            service.awaitReady(START);
            assertThat(service.log()).contains("Picked up JAVA_TOOL_OPTIONS: " + spec.env().get("JAVA_TOOL_OPTIONS"));
            assertThat(service.put("/keys/e2e/typed", "{\"type\":\"float\",\"value\":-0.0}").statusCode())
                    .isEqualTo(201);
            assertThat(service.put("/keys/e2e%2Fgone", "{\"type\":\"integer\",\"value\":1}").statusCode())
                    .isEqualTo(201);
            assertThat(service.delete("/keys/e2e/gone").statusCode()).isEqualTo(204);
            assertThat(service.get("/actuator/health").body()).contains("\"wal\"").contains("\"writable\":true");

            int exit = service.terminate(Duration.ofSeconds(30));
            assertThat(exit).as("exit status after SIGTERM").isIn(0, 143);
        }
        assertThat(dataDir.resolve("kvstore.log")).exists();
        assertThat(dataDir.resolve("kvstore.log.forced")).exists();
        verifyWithTheOfflineTool();

        try (ServiceProcess service = ServiceProcess.start(spec, jar, dataDir, output)) {
            service.awaitReady(START);
            assertThat(service.get("/keys/e2e/typed").body())
                    .isEqualTo("{\"key\":\"e2e/typed\",\"type\":\"float\",\"value\":-0.0,\"revision\":1,"
                            + "\"createRevision\":1}");
            assertThat(service.get("/keys/e2e/gone").statusCode()).isEqualTo(404);
            service.terminate(Duration.ofSeconds(30));
        }
    }

    /** The offline tool runs from the same jar, without starting the service. */
    private void verifyWithTheOfflineTool() throws Exception {
        Process tool = new ProcessBuilder(List.of("java", "-jar", jar.toString(), "verify",
                dataDir.resolve("kvstore.log").toString())).redirectErrorStream(true).start();
        String out = new String(tool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(tool.exitValue()).as(out).isZero();
        assertThat(out).contains("frames:        3 sound").contains("keys:          1 live")
                .contains("status:        sound").doesNotContain("Spring");
    }
}
