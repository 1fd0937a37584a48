package dev.kvstore.replication;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;

import dev.kvstore.TestApps;
import dev.kvstore.store.StoreOptions;
import dev.kvstore.store.Value;
import dev.kvstore.store.WalKeyValueStore;
import dev.kvstore.tool.LogTool;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The service in cluster mode, in this JVM, as a group of one member (the three-node behaviour is tested with packaged
 * jars, {@code ClusterIT}): the same key API through Raft, leases and idempotency keys, the read-consistency header, {@code GET /cluster},
 * readiness and health, cluster mode's compaction (a snapshot) and backup, membership refusals, and the OpenAPI
 * document of this mode.
 */
class ClusterModeApiTest {

    @TempDir
    static Path dir;

    private static ConfigurableApplicationContext app;
    private static int port;
    private static int raftPort;

    @BeforeAll
    static void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            raftPort = s.getLocalPort();
        }
        app = TestApps.start(dir.resolve("data"), "--kv.cluster.enabled=true", "--kv.cluster.node-id=solo",
                "--kv.cluster.peers=solo=127.0.0.1:" + raftPort, "--kv.cluster.election-timeout-min=300ms",
                "--kv.cluster.election-timeout-max=600ms");
        port = TestApps.port(app);
        awaitReady(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    private static void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (given().port(port).get("/actuator/health/readiness").statusCode() != 200) {
            assertThat(System.nanoTime()).as("ready within " + timeout).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    @Test
    void keysWorkAsInSingleNodeModeWithOneRevisionSequence() {
        Response created = given().port(port).contentType("application/json")
                .body("{\"type\":\"string\",\"value\":\"hi\"}").put("/keys/a/b");
        assertThat(created.statusCode()).isEqualTo(201);
        long rev = created.jsonPath().getLong("revision");
        given().port(port).get("/keys/a/b").then().statusCode(200).body("value", equalTo("hi"))
                .header("ETag", "\"" + rev + "\"");
        given().port(port).contentType("application/json").header("If-Match", "\"" + (rev + 100) + "\"")
                .body("{\"type\":\"string\",\"value\":\"no\"}").put("/keys/a/b").then().statusCode(412)
                .body("currentRevision", equalTo((int) rev));
        given().port(port).contentType("application/json").body("{\"increment\":5}").patch("/keys/n").then()
                .statusCode(201).body("value", equalTo(5)).body("revision", equalTo((int) rev + 1));
        given().port(port).contentType("application/json").body("{\"increment\":\"x\"}").patch("/keys/n").then()
                .statusCode(400);
        given().port(port).contentType("application/json").body("{\"operations\":[{\"op\":\"set\",\"key\":\"x\","
                + "\"type\":\"integer\",\"value\":1},{\"op\":\"delete\",\"key\":\"n\"}]}").post("/batch").then()
                .statusCode(200).body("revision", equalTo((int) rev + 2));
        given().port(port).get("/keys/n").then().statusCode(404);
        given().port(port).delete("/keys/x").then().statusCode(204);
        given().port(port).get("/keys?prefix=a/").then().statusCode(200).body("items.key", hasItem("a/b"));
        given().port(port).contentType("application/json").body("{\"type\":\"string\",\"value\":\"" + "v".repeat(5 << 20)
                + "\"}").put("/keys/big").then().statusCode(413);
    }

    /**
     * Leases and idempotency keys through Raft: grant (retried with an Idempotency-Key, one lease), attach, keep
     * alive and read through the leader, a lease left alone expiring by the leader's proposal, revoke, and an
     * idempotent PATCH replayed.
     */
    @Test
    void leasesAndIdempotencyKeysGoThroughTheLog() throws InterruptedException {
        Response granted = given().port(port).contentType("application/json").header("Idempotency-Key", "g-1")
                .body("{\"ttlSeconds\":30}").post("/leases");
        granted.then().statusCode(201).body("ttlSeconds", equalTo(30));
        String id = granted.jsonPath().getString("id");
        given().port(port).contentType("application/json").header("Idempotency-Key", "g-1")
                .body("{\"ttlSeconds\":30}").post("/leases").then().statusCode(201)
                .header("Idempotent-Replayed", equalTo("true")).body("id", equalTo(id));
        given().port(port).contentType("application/json").body("{\"type\":\"string\",\"value\":\"x\"}")
                .put("/keys/leased/a?lease=" + id).then().statusCode(201).body("lease", equalTo(id));
        given().port(port).post("/leases/" + id + "/keepalive").then().statusCode(200)
                .body("remainingMillis", equalTo(30_000));
        JsonPath read = given().port(port).get("/leases/" + id).then().statusCode(200).extract().jsonPath();
        assertThat(read.getList("keys", String.class)).containsExactly("leased/a");
        assertThat(read.getLong("remainingMillis")).isBetween(1L, 30_000L);

        String shortLived = given().port(port).contentType("application/json")
                .body("{\"type\":\"integer\",\"value\":1}").put("/keys/leased/short?ttl=1s").then()
                .statusCode(201).extract().jsonPath().getString("lease");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (given().port(port).get("/keys/leased/short").statusCode() != 404) {
            assertThat(System.nanoTime()).as("the 1 s lease expired by the leader").isLessThan(deadline);
            Thread.sleep(50);
        }
        given().port(port).post("/leases/" + shortLived + "/keepalive").then().statusCode(404);

        given().port(port).delete("/leases/" + id).then().statusCode(204);
        given().port(port).get("/keys/leased/a").then().statusCode(404);
        given().port(port).get("/leases/" + id).then().statusCode(404);

        for (int i = 0; i < 2; i++) {
            Response inc = given().port(port).contentType("application/json").header("Idempotency-Key", "inc-1")
                    .body("{\"increment\":5}").patch("/keys/idempotent/n");
            inc.then().statusCode(201).body("value", equalTo(5));
            assertThat(inc.header("Idempotent-Replayed")).isEqualTo(i == 0 ? null : "true");
        }
        given().port(port).get("/keys/idempotent/n").then().statusCode(200).body("value", equalTo(5));
        given().port(port).contentType("application/json").header("Idempotency-Key", "inc-1")
                .body("{\"increment\":6}").patch("/keys/idempotent/n").then().statusCode(422);

        JsonPath health = given().port(port).get("/actuator/health").then().statusCode(200).extract().jsonPath();
        assertThat(health.getString("components.leases.status")).isEqualTo("UP");
        assertThat(health.getBoolean("components.leases.details.expiryRunning")).as("this node leads").isTrue();
        assertThat(health.getLong("components.leases.details.expired")).isGreaterThanOrEqualTo(1);
        assertThat(health.getLong("components.leases.details.idempotency.replays")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void readsTakeAConsistencyHeader() {
        given().port(port).contentType("application/json").body("{\"type\":\"integer\",\"value\":7}")
                .put("/keys/consistency");
        given().port(port).header("Read-Consistency", "stale").get("/keys/consistency").then().statusCode(200)
                .body("value", equalTo(7));
        given().port(port).header("Read-Consistency", "LINEARIZABLE").get("/keys/consistency").then()
                .statusCode(200);
        given().port(port).header("Read-Consistency", "stale").get("/keys?prefix=consistency").then()
                .statusCode(200).body("items.key", hasItem("consistency"));
        given().port(port).header("Read-Consistency", "eventual").get("/keys/consistency").then().statusCode(400)
                .contentType("application/problem+json")
                .body("type", equalTo("urn:kv-store:problem:invalid-read-consistency"));
    }

    @Test
    void describesTheClusterAndIsReadyAndHealthy() {
        JsonPath cluster = given().port(port).get("/cluster").then().statusCode(200).extract().jsonPath();
        assertThat(cluster.getString("nodeId")).isEqualTo("solo");
        assertThat(cluster.getString("leaderId")).isEqualTo("solo");
        assertThat(cluster.getLong("term")).isPositive();
        assertThat(cluster.getList("members")).containsExactly(Map.of("id", "solo", "address",
                "127.0.0.1:" + raftPort, "role", "leader"));
        assertThat(cluster.getLong("appliedIndex")).isLessThanOrEqualTo(cluster.getLong("commitIndex"));

        JsonPath health = given().port(port).get("/actuator/health").then().statusCode(200).extract().jsonPath();
        assertThat(health.getString("components.cluster.status")).isEqualTo("UP");
        assertThat(health.getString("components.cluster.details.role")).isEqualTo("leader");
        assertThat(health.getLong("components.cluster.details.lag")).isGreaterThanOrEqualTo(0);
        assertThat(health.getMap("components")).doesNotContainKey("wal");
        // This node's change feed, as wal.history shows a single node's: from where a watch can start, and why.
        assertThat(health.getLong("components.cluster.details.history.compactRevision")).isEqualTo(1);
        assertThat(health.getLong("components.cluster.details.history.retentionBytes")).isPositive();
        assertThat(health.getString("components.cluster.details.history.floorCause"))
                .isEqualTo("kv.history.retention");
        given().port(port).get("/actuator/prometheus").then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("kv_cluster_leader"))
                .body(org.hamcrest.Matchers.containsString("kv_leases "))
                .body(org.hamcrest.Matchers.containsString("kv_history_compact_revision "))
                .body(org.hamcrest.Matchers.containsString("kv_idempotency_replays_total "))
                .body(org.hamcrest.Matchers.containsString("kv_leases_expiry_lateness_seconds_count "));
    }

    @Test
    void compactionTakesASnapshotAndTheBackupIsACompactedLogTheToolVerifies() throws Exception {
        for (int i = 0; i < 20; i++) {
            given().port(port).contentType("application/json").body("{\"type\":\"integer\",\"value\":" + i + "}")
                    .put("/keys/snap/" + i).then().statusCode(org.hamcrest.Matchers.oneOf(200, 201));
        }
        JsonPath compacted = given().port(port).post("/admin/compaction").then().statusCode(200).extract()
                .jsonPath();
        assertThat(compacted.getLong("snapshotIndex")).isPositive();
        assertThat(compacted.getLong("snapshotBytes")).isPositive();

        Response backup = given().port(port).get("/admin/snapshot");
        assertThat(backup.statusCode()).isEqualTo(200);
        byte[] body = backup.asByteArray();
        assertThat(backup.header("Repr-Digest")).isEqualTo("sha-256=:"
                + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(body)) + ":");
        Path file = dir.resolve("backup.log");
        Files.write(file, body);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(LogTool.run(new String[] {"verify", file.toString()}, new PrintStream(out),
                new PrintStream(new ByteArrayOutputStream()))).as(out.toString()).isZero();
        try (WalKeyValueStore restored = WalKeyValueStore.open(StoreOptions.defaults(dir.resolve("restored"))
                .withRestoreFrom(file))) {
            assertThat(restored.get("snap/19").value()).isEqualTo(Value.of(19L));
        }
    }

    /**
     * {@code GET /watch} is served in cluster mode from this node's applied revisions: a long poll waiting from the
     * listing's revision + 1 answers with a write made while it waits (its change and revision, nothing else).
     */
    @Test
    void aLongPollWatchAnswersWithAWriteMadeWhileItWaits() throws Exception {
        long listed = Long.parseLong(given().port(port).get("/keys?prefix=watched/").then().statusCode(200).extract()
                .header("X-Revision"));
        java.util.concurrent.CompletableFuture<Response> poll = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> given().port(port).accept("application/json")
                        .get("/watch?prefix=watched/&fromRevision=" + (listed + 1) + "&wait=30s"));
        awaitWaitingPolls(1, Duration.ofSeconds(20));
        given().port(port).contentType("application/json").body("{\"type\":\"string\",\"value\":\"elsewhere\"}")
                .put("/keys/unwatched").then().statusCode(org.hamcrest.Matchers.oneOf(200, 201));
        long written = given().port(port).contentType("application/json")
                .body("{\"type\":\"string\",\"value\":\"seen\"}").put("/keys/watched/a").then()
                .statusCode(org.hamcrest.Matchers.oneOf(200, 201)).extract().jsonPath().getLong("revision");

        JsonPath page = poll.get(40, java.util.concurrent.TimeUnit.SECONDS).then().statusCode(200)
                .contentType("application/json").extract().jsonPath();
        assertThat(page.getList("events.revision", Long.class)).containsExactly(written);
        assertThat(page.getList("events[0].changes.key", String.class)).containsExactly("watched/a");
        assertThat(page.getString("events[0].changes[0].value")).isEqualTo("seen");
        assertThat(page.getLong("nextRevision")).isGreaterThan(written);
    }

    /** Waits until {@code n} long polls of {@code GET /watch} wait on this node ({@code kv_watch_polls}). */
    private static void awaitWaitingPolls(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        java.util.regex.Pattern waiting = java.util.regex.Pattern.compile("^kv_watch_polls(\\{[^}]*})? " + n + "\\.0$",
                java.util.regex.Pattern.MULTILINE);
        while (!waiting.matcher(given().port(port).get("/actuator/prometheus").asString()).find()) {
            assertThat(System.nanoTime()).as(n + " long polls waiting within " + timeout).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void membershipChangesRefuseWhatCannotBe() {
        given().port(port).contentType("application/json").body("{\"id\":\"n2\",\"address\":\"nowhere\"}")
                .post("/admin/cluster/members").then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("urn:kv-store:problem:invalid-member"));
        given().port(port).delete("/admin/cluster/members/n9").then().statusCode(404)
                .contentType("application/problem+json").body("type", equalTo("urn:kv-store:problem:member-not-found"));
        given().port(port).contentType("application/json").body("{").post("/admin/cluster/members").then()
                .statusCode(400).body("type", equalTo("urn:kv-store:problem:malformed-json"));
    }

    @Test
    void theOpenApiDocumentDescribesClusterMode() {
        JsonPath doc = given().port(port).get("/v3/api-docs").then().statusCode(200).extract().jsonPath();
        assertThat(doc.getMap("paths")).containsKeys("/cluster", "/admin/cluster/members",
                "/admin/cluster/members/{id}", "/admin/compaction", "/admin/snapshot", "/keys/{key}", "/keys",
                "/batch", "/leases", "/leases/{id}", "/leases/{id}/keepalive", "/watch");
        for (String read : List.of("'/keys/{key}'.get", "'/keys'.get")) {
            assertThat(doc.getList("paths." + read + ".parameters.findAll { it['in'] == 'header' }.name"))
                    .as(read).contains("Read-Consistency");
            assertThat(doc.getMap("paths." + read + ".responses")).as(read).containsKeys("503");
        }
        for (String write : List.of("'/keys/{key}'.put", "'/keys/{key}'.patch", "'/keys/{key}'.delete",
                "'/batch'.post", "'/leases'.post", "'/leases/{id}/keepalive'.post", "'/leases/{id}'.get",
                "'/leases/{id}'.delete")) {
            assertThat(doc.getMap("paths." + write + ".responses.'503'.content.'application/problem+json'.examples"))
                    .as(write).containsKey("cluster-unavailable");
        }
        assertThat(doc.getMap("components.schemas.Cluster.properties")).containsOnlyKeys("nodeId", "leaderId",
                "term", "members", "commitIndex", "appliedIndex");
        given().port(port).get("/cluster").then().body("leaderId", org.hamcrest.Matchers.not(nullValue()));
    }
}
