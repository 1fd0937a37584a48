package dev.kvstore.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.restassured.response.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code /leases} over a real port: grant, attach (PUT, PATCH, batch, the {@code ttl} shorthand), keep alive,
 * read, revoke (every key in one revision, never half of them to a reader), the refusals, who may do what; and time:
 * a lease kept alive every 300 ms with a 1 s time to live never loses its key over 30 s (while compactions run),
 * and never expires early, and leases left alone are gone within their time to live plus a second (the lateness
 * figures are printed).
 */
class LeaseApiTest extends LeasesApiContext {

    private static final String JSON = "application/json";

    private String grant(int ttlSeconds) {
        Response r = alice().contentType(JSON).body("{\"ttlSeconds\":" + ttlSeconds + "}").post("/leases");
        r.then().statusCode(201).contentType(JSON).body("ttlSeconds", equalTo(ttlSeconds));
        String id = r.jsonPath().getString("id");
        r.then().header("Location", endsWith("/leases/" + id));
        return id;
    }

    private Response put(String key, String query, String json) {
        return alice().contentType(JSON).body(json).put("/keys/" + key + (query == null ? "" : "?" + query));
    }

    @Test
    void grantAttachKeepAliveReadAndRevoke() {
        String id = grant(30);
        assertThat(Long.parseLong(id)).isPositive();
        Response created = put("l1/a", "lease=" + id, "{\"type\":\"string\",\"value\":\"x\"}");
        created.then().statusCode(201).body("lease", equalTo(id));
        alice().get("/keys/l1/a").then().statusCode(200).body("lease", equalTo(id));
        alice().get("/keys?prefix=l1/").then().statusCode(200).body("items[0].lease", equalTo(id));
        alice().contentType(JSON).body("{\"increment\":2}").patch("/keys/l1/n?lease=" + id).then().statusCode(201)
                .body("lease", equalTo(id));
        alice().contentType(JSON).body("{\"increment\":3}").patch("/keys/l1/n").then().statusCode(200)
                .body("value", equalTo(5)).body("lease", equalTo(id));
        alice().contentType(JSON).body("{\"operations\":[{\"op\":\"set\",\"key\":\"l1/b\",\"type\":\"integer\","
                + "\"value\":1,\"lease\":\"" + id + "\"},{\"op\":\"set\",\"key\":\"l1/c\",\"type\":\"integer\","
                + "\"value\":1}]}").post("/batch").then().statusCode(200);

        Response read = alice().get("/leases/" + id);
        read.then().statusCode(200).body("id", equalTo(id)).body("ttlSeconds", equalTo(30));
        assertThat(read.jsonPath().getList("keys", String.class)).containsExactly("l1/a", "l1/b", "l1/n");
        assertThat(read.jsonPath().getLong("remainingMillis")).isBetween(0L, 30_000L);
        alice().post("/leases/" + id + "/keepalive").then().statusCode(200).body("id", equalTo(id))
                .body("ttlSeconds", equalTo(30)).body("remainingMillis", equalTo(30_000))
                .body("keys", nullValue());

        put("l1/a", null, "{\"type\":\"string\",\"value\":\"y\"}").then().statusCode(200).body("lease", nullValue());
        assertThat(alice().get("/leases/" + id).jsonPath().getList("keys", String.class))
                .as("a PUT without lease detaches").containsExactly("l1/b", "l1/n");

        long revision = store.revision();
        alice().delete("/leases/" + id).then().statusCode(204);
        assertThat(store.revision()).as("one revision").isEqualTo(revision + 1);
        alice().get("/keys/l1/b").then().statusCode(404);
        alice().get("/keys/l1/n").then().statusCode(404);
        alice().get("/keys/l1/a").then().statusCode(200);
        alice().get("/keys/l1/c").then().statusCode(200);
        for (Response gone : List.of(alice().get("/leases/" + id), alice().post("/leases/" + id + "/keepalive"),
                alice().delete("/leases/" + id))) {
            gone.then().statusCode(404).contentType("application/problem+json")
                    .body("type", equalTo("urn:kv-store:problem:lease-not-found"));
        }
    }

    @Test
    void aPutWithATtlGrantsALeaseForThatKeyAlone() {
        Response r = put("l2/own", "ttl=1m", "{\"type\":\"integer\",\"value\":1}");
        r.then().statusCode(201);
        String lease = r.jsonPath().getString("lease");
        assertThat(lease).isEqualTo(Long.toString(r.jsonPath().getLong("revision")));
        alice().get("/leases/" + lease).then().statusCode(200).body("ttlSeconds", equalTo(60))
                .body("keys", equalTo(List.of("l2/own")));
        String own2 = put("l2/own2", "ttl=2h", "{\"type\":\"integer\",\"value\":1}").then().statusCode(201)
                .extract().path("lease");
        String own3 = put("l2/own3", "ttl=45", "{\"type\":\"integer\",\"value\":1}").then().statusCode(201)
                .extract().path("lease");
        alice().get("/leases/" + own3).then().statusCode(200).body("ttlSeconds", equalTo(45));
        // Ended here, so that no expiry writes while another test counts revisions.
        for (String id : List.of(lease, own2, own3)) {
            alice().delete("/leases/" + id).then().statusCode(204);
        }
    }

    @Test
    void badLeasesAndQueriesAreRefusedAndWriteNothing() {
        long revision = store.revision();
        problem(alice().contentType(JSON).body("{\"ttlSeconds\":0}").post("/leases"), 400, "invalid-lease");
        problem(alice().contentType(JSON).body("{\"ttlSeconds\":31536001}").post("/leases"), 400, "invalid-lease");
        problem(alice().contentType(JSON).body("{\"ttlSeconds\":1.5}").post("/leases"), 400, "invalid-lease");
        problem(alice().contentType(JSON).body("{\"ttl\":1}").post("/leases"), 400, "invalid-lease");
        problem(alice().contentType(JSON).body("{}").post("/leases"), 400, "invalid-lease");
        problem(alice().contentType(JSON).body("{\"ttlSeconds\":").post("/leases"), 400, "malformed-json");
        problem(put("l3/a", "lease=abc", "{\"type\":\"integer\",\"value\":1}"), 400, "invalid-lease");
        problem(put("l3/a", "lease=1&ttl=5s", "{\"type\":\"integer\",\"value\":1}"), 400, "invalid-lease");
        problem(put("l3/a", "ttl=0s", "{\"type\":\"integer\",\"value\":1}"), 400, "invalid-lease");
        problem(put("l3/a", "ttl=10d", "{\"type\":\"integer\",\"value\":1}"), 400, "invalid-lease");
        problem(put("l3/a", "leese=1", "{\"type\":\"integer\",\"value\":1}"), 400, "invalid-query");
        problem(put("l3/a", "lease=1&lease=2", "{\"type\":\"integer\",\"value\":1}"), 400, "invalid-query");
        problem(alice().contentType(JSON).body("{\"increment\":1}").patch("/keys/l3/a?ttl=5s"), 400,
                "invalid-query");
        problem(alice().delete("/keys/l3/a?lease=1"), 400, "invalid-query");
        problem(alice().contentType(JSON).body("{\"operations\":[{\"op\":\"delete\",\"key\":\"l3/a\",\"lease\":\"1\"}]}")
                .post("/batch"), 400, "invalid-batch");
        problem(alice().contentType(JSON).body("{\"operations\":[{\"op\":\"set\",\"key\":\"l3/a\",\"type\":\"integer\","
                + "\"value\":1,\"lease\":\"x\"}]}").post("/batch"), 400, "invalid-batch");
        problem(alice().get("/leases/abc"), 404, "lease-not-found");
        problem(alice().get("/leases/0"), 404, "lease-not-found");
        problem(alice().post("/leases/99999999999/keepalive"), 404, "lease-not-found");
        assertThat(store.revision()).as("nothing written").isEqualTo(revision);

        Response unknown = put("l3/a", "lease=99999999", "{\"type\":\"integer\",\"value\":1}");
        problem(unknown, 409, "unknown-lease");
        unknown.then().body("lease", equalTo("99999999"));
        problem(alice().contentType(JSON).body("{\"increment\":1}").patch("/keys/l3/a?lease=99999999"), 409,
                "unknown-lease");
        Response batch = alice().contentType(JSON).body("{\"operations\":[{\"op\":\"set\",\"key\":\"l3/b\","
                + "\"type\":\"integer\",\"value\":1},{\"op\":\"set\",\"key\":\"l3/c\",\"type\":\"integer\",\"value\":1,"
                + "\"lease\":\"99999999\"}]}").post("/batch");
        problem(batch, 409, "unknown-lease");
        batch.then().body("failedOperation", equalTo(1)).body("results[1].outcome", equalTo("lease-not-found"))
                .body("results[0].outcome", equalTo("aborted"));
        alice().get("/keys/l3/a").then().statusCode(404);
        alice().get("/keys/l3/b").then().statusCode(404);
        assertThat(store.revision()).as("nothing written").isEqualTo(revision);
    }

    private static void problem(Response r, int status, String type) {
        r.then().statusCode(status).contentType("application/problem+json")
                .body("type", equalTo("urn:kv-store:problem:" + type)).body("status", equalTo(status))
                .body("detail", org.hamcrest.Matchers.not(org.hamcrest.Matchers.emptyOrNullString()));
    }

    @Test
    void whoMayDoWhatWithLeases() {
        String id = grant(60);
        put("l4/outside", "lease=" + id, "{\"type\":\"integer\",\"value\":1}").then().statusCode(201);
        as(TENANT).contentType(JSON).body("{\"type\":\"integer\",\"value\":1}").put("/keys/tenant/in?lease=" + id)
                .then().statusCode(201);
        as(TENANT).get("/leases/" + id).then().statusCode(200).body("keys", equalTo(List.of("tenant/in")));
        as(TENANT).post("/leases/" + id + "/keepalive").then().statusCode(200);
        as(TENANT).delete("/leases/" + id).then().statusCode(403).contentType("application/problem+json");
        alice().get("/keys/l4/outside").then().statusCode(200);
        as(READER).get("/leases/" + id).then().statusCode(200);
        as(READER).contentType(JSON).body("{\"ttlSeconds\":5}").post("/leases").then().statusCode(403);
        as(READER).post("/leases/" + id + "/keepalive").then().statusCode(403);
        as(READER).delete("/leases/" + id).then().statusCode(403);
        given().port(port).get("/leases/" + id).then().statusCode(401);
        String own = as(TENANT).contentType(JSON).body("{\"ttlSeconds\":5}").post("/leases").jsonPath().getString("id");
        as(TENANT).contentType(JSON).body("{\"type\":\"integer\",\"value\":1}").put("/keys/tenant/x?lease=" + own)
                .then().statusCode(201);
        as(TENANT).delete("/leases/" + own).then().statusCode(204);
        alice().delete("/leases/" + id).then().statusCode(204);
        alice().get("/keys/tenant/in").then().statusCode(404);
    }

    private static io.restassured.specification.RequestSpecification given() {
        return io.restassured.RestAssured.given();
    }

    /** A listing is one state, and the end of a lease one step of it: no page shows half of the keys gone. */
    @Test
    void revokeDeletesEveryKeyInOneRevisionAndNoReaderSeesHalf() throws Exception {
        int keys = 200;
        String id = grant(60);
        StringBuilder ops = new StringBuilder();
        for (int i = 0; i < keys; i++) {
            if (ops.length() > 0) {
                ops.append(',');
            }
            ops.append("{\"op\":\"set\",\"key\":\"l5/").append(i).append("\",\"type\":\"integer\",\"value\":")
                    .append(i).append(",\"lease\":\"").append(id).append("\"}");
            if (i % 100 == 99) {
                alice().contentType(JSON).body("{\"operations\":[" + ops + "]}").post("/batch").then().statusCode(200);
                ops.setLength(0);
            }
        }
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest list = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/keys?prefix=l5/&limit=1000"
                + "&keysOnly=true")).header("Authorization", "Bearer " + ALICE).build();
        AtomicBoolean revoked = new AtomicBoolean();
        ExecutorService readers = Executors.newFixedThreadPool(2);
        CountDownLatch reading = new CountDownLatch(2);
        Pattern item = Pattern.compile("\"key\":");
        List<Future<int[]>> seen = new ArrayList<>();
        try {
            for (int t = 0; t < 2; t++) {
                seen.add(readers.submit(() -> {
                    int full = 0;
                    int empty = 0;
                    reading.countDown();
                    while (!revoked.get() || empty < 3) {
                        String body = http.send(list, HttpResponse.BodyHandlers.ofString()).body();
                        Matcher m = item.matcher(body);
                        int n = 0;
                        while (m.find()) {
                            n++;
                        }
                        assertThat(n).as("keys of the lease in one page").isIn(0, keys);
                        if (n == 0) {
                            empty++;
                        } else {
                            full++;
                        }
                    }
                    return new int[] {full, empty};
                }));
            }
            assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
            alice().delete("/leases/" + id).then().statusCode(204);
            revoked.set(true);
            for (Future<int[]> f : seen) {
                int[] counts = f.get(60, TimeUnit.SECONDS);
                assertThat(counts[1]).isGreaterThanOrEqualTo(3);
            }
        } finally {
            readers.shutdownNow();
        }
    }

    /**
     * The test: a lease with a 1 s time to live, kept alive every 300 ms for 30 s while compactions run,
     * never loses its key; and no lease expires early. "Early" is decided from what the client sees: a 404 that
     * arrived before the last successful keepalive was sent plus the time to live. Should the client itself stall
     * (a keepalive sent, or answered, so late that its time to live could pass in between on the server), the lease
     * may legitimately go; the test then says so and checks only that nothing was early.
     */
    @Test
    void aLeaseKeptAliveEvery300MsWithA1sTtlNeverLosesItsKeyAndNothingExpiresEarly() throws Exception {
        long ttlNanos = TimeUnit.SECONDS.toNanos(1);
        String id = grant(1);
        long[] grantSent = {System.nanoTime()};
        alice().post("/leases/" + id + "/keepalive").then().statusCode(200);
        put("l6/kept", "lease=" + id, "{\"type\":\"integer\",\"value\":1}").then().statusCode(201);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest keepalive = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/leases/" + id
                + "/keepalive")).header("Authorization", "Bearer " + ALICE).POST(HttpRequest.BodyPublishers.noBody())
                .build();
        HttpRequest read = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/keys/l6/kept"))
                .header("Authorization", "Bearer " + ALICE).build();

        AtomicLong lastOkSent = new AtomicLong(grantSent[0]);
        AtomicLong lastSent = new AtomicLong(grantSent[0]);
        AtomicLong worstGap = new AtomicLong();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicLong keepalives = new AtomicLong();
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(1);
        timer.scheduleAtFixedRate(() -> {
            long sent = System.nanoTime();
            try {
                int status = http.send(keepalive, HttpResponse.BodyHandlers.discarding()).statusCode();
                long answered = System.nanoTime();
                // What bounds the time between two keepalives on the server: from the last one sent that
                // succeeded to this one's answer.
                worstGap.accumulateAndGet(answered - lastOkSent.get(), Math::max);
                if (status == 200) {
                    lastOkSent.accumulateAndGet(sent, Math::max);
                    keepalives.incrementAndGet();
                } else {
                    failures.add("keepalive " + status + " after a gap of "
                            + TimeUnit.NANOSECONDS.toMillis(answered - lastOkSent.get()) + " ms");
                }
                lastSent.set(sent);
            } catch (Exception e) {
                failures.add("keepalive: " + e);
            }
        }, 0, 300, TimeUnit.MILLISECONDS);
        Thread compactions = new Thread(() -> {
            HttpRequest compact = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/admin/compaction"))
                    .header("Authorization", "Bearer " + ADMIN).POST(HttpRequest.BodyPublishers.noBody()).build();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(29);
            int n = 0;
            while (System.nanoTime() < until && n < 20) {
                try {
                    http.send(compact, HttpResponse.BodyHandlers.discarding());
                    n++;
                    // Paced, so that compactions overlap the run rather than fill it.
                    timer.schedule(() -> null, 1, TimeUnit.SECONDS).get();
                } catch (Exception e) {
                    failures.add("compaction: " + e);
                    return;
                }
            }
        });
        compactions.start();

        long start = System.nanoTime();
        long reads = 0;
        long lostAt = 0;
        try {
            while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30)) {
                HttpResponse<String> r = http.send(read, HttpResponse.BodyHandlers.ofString());
                long answered = System.nanoTime();
                reads++;
                if (r.statusCode() == 404 && lostAt == 0) {
                    lostAt = answered;
                    assertThat(answered - lastOkSent.get()).as("the key went before its time to live had passed"
                            + " since the last successful keepalive was sent: early").isGreaterThanOrEqualTo(ttlNanos);
                }
                assertThat(r.statusCode()).isIn(200, 404);
                timer.schedule(() -> null, 20, TimeUnit.MILLISECONDS).get();
            }
        } finally {
            timer.shutdownNow();
            timer.awaitTermination(10, TimeUnit.SECONDS);
            compactions.join(60_000);
            // Ended here, so that its expiry does not write while another test counts revisions.
            alice().delete("/leases/" + id).then().statusCode(org.hamcrest.Matchers.oneOf(204, 404));
        }
        System.out.printf("LeaseApiTest: 30 s with a 1 s lease kept alive every 300 ms: %d keepalives, %d reads,"
                + " worst keepalive gap %d ms, %s%n", keepalives.get(), reads,
                TimeUnit.NANOSECONDS.toMillis(worstGap.get()), lostAt == 0 ? "key kept" : "key lost");
        if (worstGap.get() < ttlNanos) {
            assertThat(lostAt).as("no keepalive gap reached the time to live, yet the key went").isZero();
            assertThat(failures).isEmpty();
        } else {
            System.out.println("LeaseApiTest: the client stalled for longer than the time to live; only 'never"
                    + " early' is checked: " + failures);
        }
        assertThat(keepalives.get()).isGreaterThan(50);
    }

    /**
     * Leases left alone go within their time to live plus a second, and never before it: 50 leases of 1 s, each
     * with a key, watched through one listing every 10 ms. Prints the lateness: from the grant's sending plus the
     * time to live to the first listing without the key (so it includes the listing's own period and round trip).
     */
    @Test
    void leasesLeftAloneGoWithinTheirTimeToLivePlusASecond() throws Exception {
        int n = 50;
        long ttlNanos = TimeUnit.SECONDS.toNanos(1);
        long[] sent = new long[n];
        for (int i = 0; i < n; i++) {
            sent[i] = System.nanoTime();
            Response r = put("l7/" + i, "ttl=1s", "{\"type\":\"integer\",\"value\":1}");
            r.then().statusCode(201);
        }
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest list = HttpRequest.newBuilder(URI.create("http://localhost:" + port
                + "/keys?prefix=l7/&limit=1000&keysOnly=true")).header("Authorization", "Bearer " + ALICE).build();
        long[] gone = new long[n];
        int left = n;
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            while (left > 0) {
                long asked = System.nanoTime();
                String body = http.send(list, HttpResponse.BodyHandlers.ofString()).body();
                long answered = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    boolean present = body.contains("\"key\":\"l7/" + i + "\"");
                    if (!present && gone[i] == 0) {
                        gone[i] = answered;
                        left--;
                        assertThat(answered - sent[i]).as("lease %d went early", i).isGreaterThanOrEqualTo(ttlNanos);
                    }
                    if (present) {
                        assertThat(asked - sent[i]).as("lease %d still there long after its time to live", i)
                                .isLessThan(ttlNanos + TimeUnit.SECONDS.toNanos(1) + TimeUnit.MILLISECONDS.toNanos(
                                        0) + (answered - asked));
                    }
                }
                timer.schedule(() -> null, 10, TimeUnit.MILLISECONDS).get();
            }
        } finally {
            timer.shutdownNow();
        }
        long[] lateness = new long[n];
        for (int i = 0; i < n; i++) {
            lateness[i] = TimeUnit.NANOSECONDS.toMillis(gone[i] - sent[i] - ttlNanos);
        }
        java.util.Arrays.sort(lateness);
        System.out.printf("LeaseApiTest: %d leases of 1 s left alone, lateness seen by a client polling every 10 ms:"
                + " p50 %d ms, p99 %d ms, max %d ms%n", n, lateness[n / 2], lateness[(int) Math.ceil(n * 0.99) - 1],
                lateness[n - 1]);
        assertThat(lateness[n - 1]).isLessThan(1000);
    }

    @Test
    void healthAndMetricsShowLeasesExpiriesAndReplays() {
        String id = grant(60);
        put("l8/a", "lease=" + id, "{\"type\":\"integer\",\"value\":1}").then().statusCode(201);
        as(ADMIN).get("/actuator/health").then().statusCode(200)
                .body("components.leases.status", equalTo("UP"))
                .body("components.leases.details.expiryStarted", equalTo(true))
                .body("components.leases.details.leases", org.hamcrest.Matchers.greaterThanOrEqualTo(1))
                .body("components.leases.details.attachedKeys", org.hamcrest.Matchers.greaterThanOrEqualTo(1))
                .body("components.leases.details.idempotency.maxKeys", equalTo(MAX_KEYS));
        as(ADMIN).get("/actuator/prometheus").then().statusCode(200)
                .body(containsString("kv_leases "))
                .body(containsString("kv_leases_keys "))
                .body(containsString("kv_leases_expired_total "))
                .body(containsString("kv_leases_expiry_lateness_seconds_count "))
                .body(containsString("kv_idempotency_keys "))
                .body(containsString("kv_idempotency_replays_total "));
        alice().delete("/leases/" + id).then().statusCode(204);
    }

    /** A retried grant with an Idempotency-Key answers the first lease and grants no second one. */
    @Test
    void aRetriedGrantWithAnIdempotencyKeyGrantsOneLease() {
        int before = store.leaseStatus().leases();
        Response first = alice().contentType(JSON).header("Idempotency-Key", "grant-1").body("{\"ttlSeconds\":60}")
                .post("/leases");
        first.then().statusCode(201).header("Idempotent-Replayed", nullValue());
        String id = first.jsonPath().getString("id");
        Response again = alice().contentType(JSON).header("Idempotency-Key", "grant-1").body("{\"ttlSeconds\":60}")
                .post("/leases");
        again.then().statusCode(201).header("Idempotent-Replayed", equalTo("true")).body("id", equalTo(id))
                .body("ttlSeconds", equalTo(60)).header("Location", endsWith("/leases/" + id));
        assertThat(store.leaseStatus().leases()).as("one lease for two requests").isEqualTo(before + 1);
        alice().contentType(JSON).header("Idempotency-Key", "grant-1").body("{\"ttlSeconds\":61}").post("/leases")
                .then().statusCode(422).body("type", equalTo("urn:kv-store:problem:idempotency-key-reused"));
        Response bobs = as(BOB).contentType(JSON).header("Idempotency-Key", "grant-1").body("{\"ttlSeconds\":60}")
                .post("/leases");
        bobs.then().statusCode(201).header("Idempotent-Replayed", nullValue());
        assertThat(bobs.jsonPath().getString("id")).as("keys belong to their token").isNotEqualTo(id);
        alice().contentType(JSON).header("Idempotency-Key", "").body("{\"ttlSeconds\":60}").post("/leases")
                .then().statusCode(400).body("type", equalTo("urn:kv-store:problem:invalid-idempotency-key"));
        alice().delete("/leases/" + id).then().statusCode(204);
        Response afterRevoke = alice().contentType(JSON).header("Idempotency-Key", "grant-1")
                .body("{\"ttlSeconds\":60}").post("/leases");
        afterRevoke.then().statusCode(201).header("Idempotent-Replayed", equalTo("true")).body("id", equalTo(id))
                .body("remainingMillis", equalTo(0));
        as(BOB).delete("/leases/" + bobs.jsonPath().getString("id")).then().statusCode(204);
    }

    /** While an expiry cannot be written (the disk holds its force), health shows how overdue it is. */
    @Test
    void healthShowsAnExpiryThatCannotBeWritten() throws Exception {
        String id = grant(1);
        put("l9/a", "lease=" + id, "{\"type\":\"integer\",\"value\":1}").then().statusCode(201);
        DISK.holdForces();
        try {
            assertThat(DISK.awaitHeldForce(Duration.ofSeconds(30))).as("the expiry waits for its force").isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long overdue = 0;
            while (overdue < 300 && System.nanoTime() < deadline) {
                Response health = as(ADMIN).get("/actuator/health");
                overdue = health.jsonPath().getLong("components.leases.details.overdueMillis");
                assertThat(health.jsonPath().getString("components.leases.status")).as("behind by %d ms, not far",
                        overdue).isEqualTo("UP");
                Thread.sleep(50);
            }
            assertThat(overdue).isGreaterThanOrEqualTo(300);
            alice().post("/leases/" + id + "/keepalive").then().statusCode(404);
        } finally {
            DISK.releaseForces();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (alice().get("/keys/l9/a").statusCode() != 404) {
            assertThat(System.nanoTime()).as("expired once the force is released").isLessThan(deadline);
            Thread.sleep(20);
        }
        as(ADMIN).get("/actuator/health").then().body("components.leases.status", equalTo("UP"))
                .body("components.leases.details.overdueMillis", equalTo(0))
                .body("components.leases.details.expiryRunning", equalTo(true));
    }
}
