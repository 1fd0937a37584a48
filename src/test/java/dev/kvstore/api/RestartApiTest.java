package dev.kvstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import dev.kvstore.TestApps;
import dev.kvstore.store.LogCorruptedException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

/** The service stopped and started again on the same data directory, over a real port each time. */
class RestartApiTest {

    @TempDir
    Path dataDir;

    private ConfigurableApplicationContext start(String... extra) {
        return TestApps.start(dataDir, extra);
    }

    private static int port(ConfigurableApplicationContext ctx) {
        return TestApps.port(ctx);
    }

    @Test
    void acknowledgedWritesSurviveARestart() {
        try (ConfigurableApplicationContext app = start()) {
            int port = port(app);
            put(port, "/keys/s", "{\"type\":\"string\",\"value\":\"välue ✓\"}");
            put(port, "/keys/i", "{\"type\":\"integer\",\"value\":-9223372036854775808}");
            put(port, "/keys/f", "{\"type\":\"float\",\"value\":-0.0}");
            put(port, "/keys/dir%2Fsub/leaf", "{\"type\":\"float\",\"value\":5e-324}");
            put(port, "/keys/gone", "{\"type\":\"integer\",\"value\":1}");
            given().port(port).delete("/keys/gone").then().statusCode(204);
        }
        try (ConfigurableApplicationContext app = start()) {
            int port = port(app);
            assertBody(port, "/keys/s", "{\"key\":\"s\",\"type\":\"string\",\"value\":\"välue ✓\""
                    + ",\"revision\":1,\"createRevision\":1}");
            assertBody(port, "/keys/i", "{\"key\":\"i\",\"type\":\"integer\",\"value\":-9223372036854775808"
                    + ",\"revision\":2,\"createRevision\":2}");
            assertBody(port, "/keys/f", "{\"key\":\"f\",\"type\":\"float\",\"value\":-0.0"
                    + ",\"revision\":3,\"createRevision\":3}");
            assertBody(port, "/keys/dir/sub/leaf", "{\"key\":\"dir/sub/leaf\",\"type\":\"float\",\"value\":4.9E-324"
                    + ",\"revision\":4,\"createRevision\":4}");
            given().port(port).get("/keys/gone").then().statusCode(404);
            given().port(port).get("/actuator/health").then().statusCode(200)
                    .body("components.wal.details.lastRecovery.framesReplayed", equalTo(6))
                    .body("components.wal.details.liveKeys", equalTo(4))
                    // Six writes, the delete included, each took a revision.
                    .body("components.wal.details.revision", equalTo(6));
        }
    }

    @Test
    void servesALogWrittenByTheReferenceEncoder() throws IOException {
        install("basic.log");
        try (ConfigurableApplicationContext app = start()) {
            int port = port(app);
            assertBody(port, "/keys/greeting", "{\"key\":\"greeting\",\"type\":\"string\",\"value\":\"Hello, World!\""
                    + ",\"revision\":1,\"createRevision\":1}");
            assertBody(port, "/keys/i64max", "{\"key\":\"i64max\",\"type\":\"integer\",\"value\":9223372036854775807"
                    + ",\"revision\":10,\"createRevision\":10}");
            assertBody(port, "/keys/tiny", "{\"key\":\"tiny\",\"type\":\"float\",\"value\":4.9E-324"
                    + ",\"revision\":13,\"createRevision\":13}");
            assertBody(port, "/keys/negzero", "{\"key\":\"negzero\",\"type\":\"float\",\"value\":-0.0"
                    + ",\"revision\":12,\"createRevision\":12}");
            assertBody(port, "/keys/a/b/c",
                    "{\"key\":\"a/b/c\",\"type\":\"string\",\"value\":\"slashes are part of the key\",\"revision\":9,\"createRevision\":9}");
            given().port(port).urlEncodingEnabled(false).get("/keys/%D0%BA%D0%BB%D1%8E%D1%87%2F%C3%BC%F0%9F%99%82")
                    .then().statusCode(200).body("value", equalTo("unicode key and välue ✓"));
            given().port(port).get("/keys/tmp").then().statusCode(404);
        }
    }

    @Test
    void aTornTailIsCutAndReportedInHealth() throws IOException {
        install("torn-bad-crc.log");
        try (ConfigurableApplicationContext app = start()) {
            given().port(port(app)).get("/actuator/health").then().statusCode(200)
                    .body("components.wal.details.lastRecovery.bytesCut", equalTo(55))
                    .body("components.wal.details.lastRecovery.validBytes", equalTo(577))
                    .body("components.wal.details.lastRecovery.cutReason", equalTo("CRC-32 mismatch"))
                    .body("components.wal.details.lastRecovery.setAside", startsWith(dataDir.toString()));
        }
        assertThat(Files.size(dataDir.resolve("kvstore.log"))).isEqualTo(577);
    }

    @Test
    void refusesToStartOnMidLogCorruptionUntilRepairIsAskedFor() throws IOException {
        Path log = install("mid-log-corruption.log");
        byte[] original = Files.readAllBytes(log);

        assertThatThrownBy(this::start).hasRootCauseInstanceOf(LogCorruptedException.class)
                .rootCause().hasMessageContaining(log.toString()).hasMessageContaining("offset 75");
        assertThat(Files.readAllBytes(log)).isEqualTo(original);

        try (ConfigurableApplicationContext app = start("--kv.recovery.repair=true")) {
            int port = port(app);
            given().port(port).get("/actuator/health").then().statusCode(200)
                    .body("components.wal.details.lastRecovery.repaired", equalTo(true))
                    .body("components.wal.details.lastRecovery.bytesCut", equalTo(original.length - 75));
            assertBody(port, "/keys/greeting", "{\"key\":\"greeting\",\"type\":\"string\",\"value\":\"Hello, World!\""
                    + ",\"revision\":1,\"createRevision\":1}");
        }
        try (var files = Files.list(dataDir)) {
            Path aside = files.filter(p -> p.getFileName().toString().startsWith("kvstore.log.corrupt-")).findFirst()
                    .orElseThrow();
            assertThat(Files.readAllBytes(aside)).isEqualTo(original);
        }
    }

    private Path install(String golden) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/seed-format/" + golden)) {
            Files.createDirectories(dataDir);
            Path log = dataDir.resolve("kvstore.log");
            Files.write(log, in.readAllBytes());
            return log;
        }
    }

    private static void put(int port, String path, String json) {
        given().port(port).urlEncodingEnabled(false).contentType("application/json").body(json).put(path)
                .then().statusCode(201);
    }

    private static void assertBody(int port, String path, String json) {
        assertThat(given().port(port).urlEncodingEnabled(false).get(path).then().statusCode(200).extract().asString())
                .isEqualTo(json);
    }
}
