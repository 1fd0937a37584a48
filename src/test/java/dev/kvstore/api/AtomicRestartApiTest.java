package dev.kvstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.kvstore.TestApps;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Revisions across restarts, in-JVM on the same data directory: revisions, createRevisions, ETags and what batches
 * wrote come back exactly, and the counter goes on from where it was, never lower, even when the key that held the
 * highest revision is gone, and after a compaction. Each test starts from an empty store, so revisions are known.
 */
class AtomicRestartApiTest {

    @TempDir
    Path dataDir;

    private ConfigurableApplicationContext start() {
        return TestApps.start(dataDir);
    }

    private static RequestSpecification http(int port) {
        return given().port(port).urlEncodingEnabled(false);
    }

    private static Response put(int port, String key, String json, String... headers) {
        RequestSpecification r = http(port).contentType("application/json").body(json);
        for (int i = 0; i < headers.length; i += 2) {
            r = r.header(headers[i], headers[i + 1]);
        }
        return r.put("/keys/" + key);
    }

    private static String integer(long value) {
        return "{\"type\":\"integer\",\"value\":" + value + "}";
    }

    /** PUTs an integer, checks the status and returns the body. */
    private static String putInt(int port, String key, long value, int status) {
        Response r = put(port, key, integer(value));
        r.then().statusCode(status);
        return r.asString();
    }

    private static String patch(int port, String key, String step, int status) {
        Response r = http(port).contentType("application/json").body("{\"increment\":" + step + "}")
                .patch("/keys/" + key);
        r.then().statusCode(status);
        return r.asString();
    }

    private static Response batch(int port, String body) {
        return http(port).contentType("application/json").body(body).post("/batch");
    }

    private static String entry(String key, String type, String value, long revision, long createRevision) {
        return "{\"key\":\"" + key + "\",\"type\":\"" + type + "\",\"value\":" + value + ",\"revision\":" + revision
                + ",\"createRevision\":" + createRevision + "}";
    }

    private static String entry(String key, long value, long revision, long createRevision) {
        return entry(key, "integer", Long.toString(value), revision, createRevision);
    }

    /** GET answers exactly {@code body}, with the ETag of {@code revision}. */
    private static void assertEntry(int port, String key, String body, long revision) {
        Response r = http(port).get("/keys/" + key);
        r.then().statusCode(200).header("ETag", "\"" + revision + "\"");
        assertThat(r.asString()).as(key).isEqualTo(body);
    }

    private static void assertAbsent(int port, String... keys) {
        for (String key : keys) {
            http(port).get("/keys/" + key).then().statusCode(404);
        }
    }

    /** The revision the next write gets, by writing a fresh key. */
    private static long nextRevision(int port, String key) {
        Response r = put(port, key, integer(0));
        r.then().statusCode(201);
        long revision = r.jsonPath().getLong("revision");
        assertThat(r.asString()).isEqualTo(entry(key, 0, revision, revision));
        return revision;
    }

    // ---- single-key writes ----

    @Test
    void revisionsCreateRevisionsAndETagsSurviveARestart() {
        Map<String, String> expected = new LinkedHashMap<>();
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            assertThat(putInt(port, "a", 1, 201)).isEqualTo(entry("a", 1, 1, 1));
            assertThat(putInt(port, "b", 2, 201)).isEqualTo(entry("b", 2, 2, 2));
            assertThat(putInt(port, "a", 3, 200)).isEqualTo(entry("a", 3, 3, 1));
            assertThat(patch(port, "c", "5", 201)).isEqualTo(entry("c", 5, 4, 4));
            assertThat(patch(port, "c", "1", 200)).isEqualTo(entry("c", 6, 5, 4));
            put(port, "f", "{\"type\":\"float\",\"value\":1.5}").then().statusCode(201);
            // An integer step on a float: the sum is a float, and must come back as one.
            assertThat(patch(port, "f", "2", 200)).isEqualTo(entry("f", "float", "3.5", 7, 6));
            put(port, "s", "{\"type\":\"string\",\"value\":\"välue ✓\"}").then().statusCode(201);
            http(port).delete("/keys/b").then().statusCode(204);
            assertThat(putInt(port, "b", 20, 201)).isEqualTo(entry("b", 20, 10, 10));
            expected.put("a", entry("a", 3, 3, 1));
            expected.put("c", entry("c", 6, 5, 4));
            expected.put("f", entry("f", "float", "3.5", 7, 6));
            expected.put("s", entry("s", "string", "\"välue ✓\"", 8, 8));
            expected.put("b", entry("b", 20, 10, 10));
            expected.forEach((key, body) -> assertEntry(port, key, body, JsonPath.from(body).getLong("revision")));
        }
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            expected.forEach((key, body) -> assertEntry(port, key, body, JsonPath.from(body).getLong("revision")));
            assertThat(nextRevision(port, "after")).isEqualTo(11);
        }
    }

    @Test
    void anETagFromBeforeARestartStillSelectsTheSameRevision() {
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            putInt(port, "tag", 1, 201);
            putInt(port, "tag", 2, 200);
        }
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            http(port).header("If-None-Match", "\"2\"").get("/keys/tag").then().statusCode(304).header("ETag", "\"2\"");
            put(port, "tag", integer(9), "If-Match", "\"1\"").then().statusCode(412)
                    .body("currentRevision", equalTo(2));
            Response ok = put(port, "tag", integer(3), "If-Match", "\"2\"");
            ok.then().statusCode(200).header("ETag", "\"3\"");
            assertThat(ok.asString()).isEqualTo(entry("tag", 3, 3, 1));
        }
    }

    @Test
    void theCounterContinuesWhenTheKeyWithTheHighestRevisionWasDeleted() {
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            putInt(port, "keep", 1, 201);
            putInt(port, "top", 1, 201);
            putInt(port, "top", 2, 200);
            http(port).delete("/keys/top").then().statusCode(204);
        }
        // The highest revision a key holds is 1; the counter is at 4.
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            assertEntry(port, "keep", entry("keep", 1, 1, 1), 1);
            assertAbsent(port, "top");
            assertThat(nextRevision(port, "next")).isEqualTo(5);
            http(port).delete("/keys/next").then().statusCode(204);
        }
        // Again, with the delete of the newest key as the very last frame of the log.
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            assertAbsent(port, "next");
            assertThat(nextRevision(port, "next")).isEqualTo(7);
            assertThat(putInt(port, "top", 9, 201)).isEqualTo(entry("top", 9, 8, 8));
        }
    }

    @Test
    void aRestartWithoutWritesLeavesTheCounterWhereItWas() {
        try (ConfigurableApplicationContext app = start()) {
            putInt(TestApps.port(app), "one", 1, 201);
        }
        try (ConfigurableApplicationContext app = start()) {
            assertEntry(TestApps.port(app), "one", entry("one", 1, 1, 1), 1);
        }
        try (ConfigurableApplicationContext app = start()) {
            assertThat(nextRevision(TestApps.port(app), "two")).isEqualTo(2);
        }
    }

    // ---- batches ----

    @Test
    void whatABatchWroteSurvivesARestartUnderItsRevision() {
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            putInt(port, "x", 1, 201);
            putInt(port, "z", 1, 201);
            Response applied = batch(port, "{\"operations\":["
                    + "{\"op\":\"set\",\"key\":\"x\",\"type\":\"integer\",\"value\":10,\"ifRevision\":1},"
                    + "{\"op\":\"set\",\"key\":\"y\",\"type\":\"string\",\"value\":\"new\",\"ifAbsent\":true},"
                    + "{\"op\":\"delete\",\"key\":\"z\"}]}");
            applied.then().statusCode(200);
            assertThat(applied.asString()).isEqualTo("{\"revision\":3,\"results\":["
                    + "{\"op\":\"set\",\"key\":\"x\",\"outcome\":\"replaced\",\"revision\":3,\"createRevision\":1},"
                    + "{\"op\":\"set\",\"key\":\"y\",\"outcome\":\"created\",\"revision\":3,\"createRevision\":3},"
                    + "{\"op\":\"delete\",\"key\":\"z\",\"outcome\":\"deleted\"}]}");
            // Refused: writes nothing, before or after the restart.
            batch(port, "{\"operations\":["
                    + "{\"op\":\"set\",\"key\":\"w\",\"type\":\"integer\",\"value\":1},"
                    + "{\"op\":\"set\",\"key\":\"x\",\"type\":\"integer\",\"value\":11,\"ifRevision\":1}]}")
                    .then().statusCode(412).body("failedOperation", equalTo(1));
        }
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            assertEntry(port, "x", entry("x", 10, 3, 1), 3);
            assertEntry(port, "y", entry("y", "string", "\"new\"", 3, 3), 3);
            assertAbsent(port, "z", "w");
            // A batch after the restart takes the next revision and keeps each key's createRevision.
            Response next = batch(port, "{\"operations\":["
                    + "{\"op\":\"set\",\"key\":\"x\",\"type\":\"integer\",\"value\":12,\"ifRevision\":3},"
                    + "{\"op\":\"set\",\"key\":\"z\",\"type\":\"integer\",\"value\":2,\"ifAbsent\":true}]}");
            assertThat(next.asString()).isEqualTo("{\"revision\":4,\"results\":["
                    + "{\"op\":\"set\",\"key\":\"x\",\"outcome\":\"replaced\",\"revision\":4,\"createRevision\":1},"
                    + "{\"op\":\"set\",\"key\":\"z\",\"outcome\":\"created\",\"revision\":4,\"createRevision\":4}]}");
        }
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            assertEntry(port, "x", entry("x", 12, 4, 1), 4);
            assertEntry(port, "z", entry("z", 2, 4, 4), 4);
            assertThat(nextRevision(port, "after")).isEqualTo(5);
        }
    }

    @Test
    void aBatchOfDeletesAsTheLastWriteStillMovesTheCounterOnAfterARestart() {
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            putInt(port, "d1", 1, 201);
            putInt(port, "d2", 2, 201);
            batch(port, "{\"operations\":[{\"op\":\"delete\",\"key\":\"d1\"},{\"op\":\"delete\",\"key\":\"d2\"}]}")
                    .then().statusCode(200).body("revision", equalTo(3));
        }
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            assertAbsent(port, "d1", "d2");
            assertThat(nextRevision(port, "d3")).isEqualTo(4);
        }
    }

    @Test
    void aBatchThatOnlyDeletedAbsentKeysKeepsItsRevisionAcrossARestart() {
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            putInt(port, "e1", 1, 201);
            batch(port, "{\"operations\":[{\"op\":\"delete\",\"key\":\"none\"}]}").then().statusCode(200)
                    .body("revision", equalTo(2)).body("results[0].outcome", equalTo("not-found"));
        }
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            assertEntry(port, "e1", entry("e1", 1, 1, 1), 1);
            assertThat(nextRevision(port, "e2")).isEqualTo(3);
        }
    }

    // ---- compaction ----

    @Test
    void afterACompactionAndARestartRevisionsAreUnchangedAndTheCounterGoesOn() {
        Map<String, String> expected = new LinkedHashMap<>();
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            for (int round = 0; round < 3; round++) {
                for (int k = 0; k < 5; k++) {
                    putInt(port, "k" + k, round * 10 + k, round == 0 ? 201 : 200);
                }
            }
            // Revisions 1..15: k<i> is at 10 + i + 1, created at i + 1. Then the newest key goes (revision 16).
            http(port).delete("/keys/k4").then().statusCode(204);
            for (int k = 0; k < 4; k++) {
                expected.put("k" + k, entry("k" + k, 20 + k, 11 + k, k + 1));
            }
            http(port).post("/admin/compaction").then().statusCode(200).body("outcome", equalTo("completed"))
                    .body("entries", equalTo(4));
            expected.forEach((key, body) -> assertEntry(port, key, body, JsonPath.from(body).getLong("revision")));
            assertAbsent(port, "k4");
        }
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            expected.forEach((key, body) -> assertEntry(port, key, body, JsonPath.from(body).getLong("revision")));
            assertAbsent(port, "k4");
            // Higher than any revision before, although the compacted log holds no key at 16.
            assertThat(putInt(port, "k4", 7, 201)).isEqualTo(entry("k4", 7, 17, 17));
            assertThat(putInt(port, "k0", 8, 200)).isEqualTo(entry("k0", 8, 18, 1));
        }
    }

    @Test
    void writesBetweenACompactionAndARestartAreKeptWithTheirRevisions() {
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            putInt(port, "a", 1, 201);
            putInt(port, "a", 2, 200);
            putInt(port, "b", 1, 201);
            http(port).post("/admin/compaction").then().statusCode(200).body("outcome", equalTo("completed"));
            assertThat(putInt(port, "a", 3, 200)).isEqualTo(entry("a", 3, 4, 1));
            http(port).delete("/keys/b").then().statusCode(204);
        }
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            assertEntry(port, "a", entry("a", 3, 4, 1), 4);
            assertAbsent(port, "b");
            assertThat(nextRevision(port, "c")).isEqualTo(6);
        }
    }

    // ---- cursors ----

    @Test
    void aCursorObtainedBeforeARestartStillWorksAfterIt() {
        String next;
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            for (int i = 1; i <= 5; i++) {
                putInt(port, "p/" + i, i, 201);
            }
            JsonPath page = http(port).get("/keys?prefix=p/&limit=2").then().statusCode(200).extract().jsonPath();
            assertThat(page.getList("items.key", String.class)).containsExactly("p/1", "p/2");
            next = page.getString("next");
        }
        try (ConfigurableApplicationContext app = start()) {
            int port = TestApps.port(app);
            JsonPath page = http(port).get(next).then().statusCode(200).extract().jsonPath();
            assertThat(page.getList("items.key", String.class)).containsExactly("p/3", "p/4");
            assertThat(page.getList("items.revision", Integer.class)).containsExactly(3, 4);
            JsonPath last = http(port).get(page.getString("next")).then().statusCode(200).extract().jsonPath();
            assertThat(last.getList("items.key", String.class)).containsExactly("p/5");
            assertThat(last.getString("next")).isNull();
        }
    }
}
