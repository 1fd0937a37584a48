package dev.kvstore.ops;

import static dev.kvstore.TestApps.port;
import static dev.kvstore.TestApps.start;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import dev.kvstore.store.InvalidSnapshotException;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code POST /admin/compaction} and {@code GET /admin/snapshot} over a real port, with restarts and a restore on
 * real data directories.
 */
class AdminApiTest {

    /**
     * Compaction keeps the change feed's history (GET /watch), whose frames it copies besides the live entries: a
     * history that holds no event leaves exactly the live entries, as this test's sizes expect.
     */
    private static final String SMALL_HISTORY = "--kv.history.retention=1B";

    @TempDir
    Path tmp;

    private static void put(int port, String key, String json) {
        given().port(port).contentType("application/json").body(json).put("/keys/" + key).then()
                .statusCode(org.hamcrest.Matchers.oneOf(200, 201));
    }

    /** Writes 40 keys ten times over on a new store and deletes a quarter; returns the bodies a GET must answer. */
    private static Map<String, String> churn(int port) {
        Map<String, String> expected = new HashMap<>();
        for (int round = 0; round < 10; round++) {
            for (int k = 0; k < 40; k++) {
                String key = "k" + k;
                String typed = k % 2 == 0 ? "\"type\":\"integer\",\"value\":" + (round * 1000 + k)
                        : "\"type\":\"string\",\"value\":\"round " + round + " of " + key + "\"";
                put(port, key, "{" + typed + "}");
                // One revision per write, in order: compaction and restore must keep them as they are.
                expected.put(key, "{\"key\":\"" + key + "\"," + typed + ",\"revision\":" + (round * 40 + k + 1)
                        + ",\"createRevision\":" + (k + 1) + "}");
            }
        }
        for (int k = 0; k < 40; k += 4) {
            given().port(port).delete("/keys/k" + k).then().statusCode(204);
            expected.put("k" + k, null);
        }
        return expected;
    }

    private static void assertKeys(int port, Map<String, String> expected) {
        expected.forEach((key, body) -> {
            if (body == null) {
                given().port(port).get("/keys/" + key).then().statusCode(404);
            } else {
                assertThat(given().port(port).get("/keys/" + key).then().statusCode(200).extract().asString())
                        .as(key).isEqualTo(body);
            }
        });
    }

    @Test
    void compactionOverHttpShrinksTheLogKeepsEveryKeyAndShowsInHealthAndMetrics() throws IOException {
        Path data = tmp.resolve("data");
        Map<String, String> expected;
        long bytesAfter;
        try (ConfigurableApplicationContext app = start(data, SMALL_HISTORY)) {
            int port = port(app);
            expected = churn(port);
            long before = Files.size(data.resolve("kvstore.log"));
            given().port(port).get("/actuator/health").then()
                    .body("components.wal.details.deadRatio", greaterThan(0.5f))
                    .body("components.wal.details.compaction.completed", equalTo(0));

            ExtractableResponse<Response> r = given().port(port).post("/admin/compaction").then().statusCode(200)
                    .contentType("application/json")
                    .body("trigger", equalTo("manual"))
                    .body("outcome", equalTo("completed"))
                    .body("bytesBefore", equalTo((int) before))
                    .body("entries", equalTo(30))
                    .extract();
            bytesAfter = r.jsonPath().getLong("bytesAfter");
            assertThat(bytesAfter).isEqualTo(r.jsonPath().getLong("liveBytes"))
                    .isEqualTo(Files.size(data.resolve("kvstore.log"))).isLessThan(before / 5);
            assertThat(r.jsonPath().getDouble("pauseMs")).isGreaterThan(0).isLessThan(r.jsonPath().getDouble("durationMs"));
            assertKeys(port, expected);

            given().port(port).get("/actuator/health").then()
                    .body("components.wal.details.logBytes", equalTo((int) bytesAfter))
                    .body("components.wal.details.liveBytes", equalTo((int) bytesAfter))
                    .body("components.wal.details.deadRatio", equalTo(0.0f))
                    .body("components.wal.details.compaction.running", equalTo(false))
                    .body("components.wal.details.compaction.completed", equalTo(1))
                    .body("components.wal.details.compaction.last.outcome", equalTo("completed"))
                    .body("components.wal.details.compaction.last.bytesAfter", equalTo((int) bytesAfter));
            given().port(port).get("/actuator/prometheus").then()
                    .body(containsString("kv_compaction_seconds_count{outcome=\"completed\",trigger=\"manual\"} 1"))
                    .body(containsString("kv_compaction_running 0"))
                    .body(containsString("kv_compaction_last_bytes{when=\"after\"} " + (double) bytesAfter))
                    .body(containsString("kv_wal_live_bytes " + (double) bytesAfter))
                    .body(containsString("kv_compaction_pause_seconds_count 1"));
        }
        try (ConfigurableApplicationContext app = start(data, SMALL_HISTORY)) {
            int port = port(app);
            assertKeys(port, expected);
            given().port(port).get("/actuator/health").then()
                    // 30 live keys between the REVISION frame that keeps the counter and the HISTORY frame
                    .body("components.wal.details.lastRecovery.framesReplayed", equalTo(32))
                    .body("components.wal.details.lastRecovery.validBytes", equalTo((int) bytesAfter));
        }
    }

    @Test
    void theSnapshotArrivesWholeAndRestoresToAnEqualStoreButNotWhenCutShort() throws Exception {
        Path source = tmp.resolve("source");
        Path file = tmp.resolve("backup.log");
        Path half = tmp.resolve("half.log");
        Map<String, String> expected;
        try (ConfigurableApplicationContext app = start(source)) {
            int port = port(app);
            expected = churn(port);
            ExtractableResponse<Response> r = given().port(port).get("/admin/snapshot").then().statusCode(200)
                    .contentType("application/octet-stream")
                    .header("Content-Disposition", org.hamcrest.Matchers.matchesPattern(
                            "attachment; filename=\"kvstore-\\d{8}T\\d{6}Z\\.log\""))
                    .header("Cache-Control", "no-store")
                    .extract();
            byte[] body = r.asByteArray();
            assertThat(r.header("Content-Length")).isEqualTo(Long.toString(body.length));
            assertThat(r.header("Repr-Digest")).isEqualTo("sha-256=:"
                    + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body)) + ":");
            Files.write(file, body);
            Files.write(half, Arrays.copyOf(body, body.length / 2));
            // Writes after the snapshot are not in it.
            put(port, "later", "{\"type\":\"integer\",\"value\":1}");
        }
        Path restored = tmp.resolve("restored");
        try (ConfigurableApplicationContext app = start(restored, "--kv.restore.from=" + file)) {
            int port = port(app);
            assertKeys(port, expected);
            given().port(port).get("/keys/later").then().statusCode(404);
            put(port, "after-restore", "{\"type\":\"integer\",\"value\":2}");
        }
        // The option left in place does not restore over the data written since.
        try (ConfigurableApplicationContext app = start(restored, "--kv.restore.from=" + file)) {
            int port = port(app);
            assertKeys(port, expected);
            given().port(port).get("/keys/after-restore").then().statusCode(200);
        }
        // A copy cut short refuses to start and restores nothing.
        Path target = tmp.resolve("target");
        assertThatThrownBy(() -> start(target, "--kv.restore.from=" + half))
                .hasRootCauseInstanceOf(InvalidSnapshotException.class)
                .rootCause().hasMessageContaining(half.toString()).hasMessageContaining("not a whole snapshot");
        assertThat(target.resolve("kvstore.log")).doesNotExist();
    }
}
