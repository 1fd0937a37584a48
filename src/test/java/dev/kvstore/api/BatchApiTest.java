package dev.kvstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.kvstore.ApiTest;
import dev.kvstore.KeyPrefix;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * {@code POST /batch} over a real port: all operations under one new revision or none of them, a 412 that says
 * which operation failed and changes nothing, strict refusal of malformed batches, and readers that never see half
 * of one.
 */
@ApiTest
class BatchApiTest {

    @LocalServerPort
    int port;

    @KeyPrefix
    String own;

    private RequestSpecification http() {
        return given().port(port).urlEncodingEnabled(false);
    }

    private Response batch(String... operations) {
        return batchBody("{\"operations\":[" + String.join(",", operations) + "]}");
    }

    private Response batchBody(String body) {
        return http().contentType("application/json").body(body).post("/batch");
    }

    private static String set(String key, long value, String... extra) {
        return "{\"op\":\"set\",\"key\":\"" + key + "\",\"type\":\"integer\",\"value\":" + value
                + (extra.length == 0 ? "" : "," + String.join(",", extra)) + "}";
    }

    private static String delete(String key, String... extra) {
        return "{\"op\":\"delete\",\"key\":\"" + key + "\"" + (extra.length == 0 ? "" : "," + String.join(",", extra))
                + "}";
    }

    private static String result(String op, String key, String outcome, Long revision, Long createRevision) {
        return "{\"op\":\"" + op + "\",\"key\":\"" + key + "\",\"outcome\":\"" + outcome + "\""
                + (revision == null ? "" : ",\"revision\":" + revision)
                + (createRevision == null ? "" : ",\"createRevision\":" + createRevision) + "}";
    }

    private static String entry(String key, long value, long revision, long createRevision) {
        return "{\"key\":\"" + key + "\",\"type\":\"integer\",\"value\":" + value + ",\"revision\":" + revision
                + ",\"createRevision\":" + createRevision + "}";
    }

    /** Sets {@code key} with a plain PUT; returns its revision. */
    private long put(String key, long value) {
        Response r = http().contentType("application/json").body("{\"type\":\"integer\",\"value\":" + value + "}")
                .put("/keys/" + key);
        assertThat(r.statusCode()).isIn(200, 201);
        return r.jsonPath().getLong("revision");
    }

    /** Writes a fresh key and returns its revision: the counter's next value, to see that nothing moved it. */
    private long nextRevision() {
        return put(own + "probe-" + System.nanoTime(), 0);
    }

    private void assertCurrent(String key, long value, long revision, long createRevision) {
        Response r = http().get("/keys/" + key);
        r.then().statusCode(200).header("ETag", "\"" + revision + "\"");
        assertThat(r.asString()).isEqualTo(entry(key, value, revision, createRevision));
    }

    private void assertAbsent(String... keys) {
        for (String key : keys) {
            http().get("/keys/" + key).then().statusCode(404);
        }
    }

    private static void assertInvalid(Response r, String slug) {
        r.then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo("urn:kv-store:problem:" + slug), "status", equalTo(400),
                        "instance", equalTo("/batch"));
    }

    // ---- applied ----

    @Test
    void aBatchAppliesEveryOperationUnderOneNewRevision() {
        long a = put(own + "ok/a", 1);
        long c = put(own + "ok/c", 3);
        long r = c + 1;
        Response resp = batch(set(own + "ok/a", 10, "\"ifRevision\":" + a), set(own + "ok/b", 20, "\"ifAbsent\":true"),
                delete(own + "ok/c"), delete(own + "ok/d"),
                "{\"op\":\"set\",\"key\":\"" + own + "ok/s\",\"type\":\"string\",\"value\":\"x\"}");
        resp.then().statusCode(200).contentType("application/json");
        assertThat(resp.asString()).isEqualTo("{\"revision\":" + r + ",\"results\":["
                + result("set", own + "ok/a", "replaced", r, a) + ","
                + result("set", own + "ok/b", "created", r, r) + ","
                + result("delete", own + "ok/c", "deleted", null, null) + ","
                + result("delete", own + "ok/d", "not-found", null, null) + ","
                + result("set", own + "ok/s", "created", r, r) + "]}");
        assertCurrent(own + "ok/a", 10, r, a);
        assertCurrent(own + "ok/b", 20, r, r);
        assertAbsent(own + "ok/c", own + "ok/d");
        assertThat(http().get("/keys/" + own + "ok/s").asString())
                .isEqualTo("{\"key\":\"" + own + "ok/s\",\"type\":\"string\",\"value\":\"x\",\"revision\":" + r
                        + ",\"createRevision\":" + r + "}");
        // One revision for the whole batch.
        assertThat(nextRevision()).isEqualTo(r + 1);
    }

    @Test
    void aDeleteWithAMatchingIfRevisionDeletesAndAKeyDeletedThenSetIsCreatedAgain() {
        long k = put(own + "again/k", 1);
        Response deleted = batch(delete(own + "again/k", "\"ifRevision\":" + k));
        deleted.then().statusCode(200);
        assertThat(deleted.asString()).isEqualTo("{\"revision\":" + (k + 1) + ",\"results\":["
                + result("delete", own + "again/k", "deleted", null, null) + "]}");
        assertAbsent(own + "again/k");
        Response created = batch(set(own + "again/k", 2, "\"ifAbsent\":true"));
        assertThat(created.asString()).isEqualTo("{\"revision\":" + (k + 2) + ",\"results\":["
                + result("set", own + "again/k", "created", k + 2, k + 2) + "]}");
        assertCurrent(own + "again/k", 2, k + 2, k + 2);
    }

    @Test
    void aBatchOfOnlyAbsentDeletesIsAnsweredNotFound() {
        long before = nextRevision();
        Response r = batch(delete(own + "gone/1"), delete(own + "gone/2"));
        r.then().statusCode(200);
        long revision = r.jsonPath().getLong("revision");
        assertThat(revision).isGreaterThan(before);
        assertThat(r.asString()).isEqualTo("{\"revision\":" + revision + ",\"results\":["
                + result("delete", own + "gone/1", "not-found", null, null) + ","
                + result("delete", own + "gone/2", "not-found", null, null) + "]}");
        assertAbsent(own + "gone/1", own + "gone/2");
        assertThat(nextRevision()).isEqualTo(revision + 1);
    }

    @Test
    void aHundredAndTwentyEightOperationsAreTakenAndOneMoreIs413() {
        long before = nextRevision();
        String[] ops = new String[129];
        for (int i = 0; i < ops.length; i++) {
            ops[i] = set(own + "big/" + i, i);
        }
        batch(ops).then().statusCode(413).contentType("application/problem+json")
                .body("type", equalTo("urn:kv-store:problem:too-large"), "detail", containsString("128"));
        assertAbsent(own + "big/0", own + "big/128");
        assertThat(nextRevision()).isEqualTo(before + 1);

        Response ok = batch(java.util.Arrays.copyOf(ops, 128));
        ok.then().statusCode(200).body("revision", equalTo((int) (before + 2)))
                .body("results.size()", equalTo(128));
        assertCurrent(own + "big/127", 127, before + 2, before + 2);
        assertAbsent(own + "big/128");
    }

    // ---- refused by a precondition ----

    @Test
    void aFailedPreconditionIs412NamingTheOperationAndChangesNothing() {
        long a = put(own + "pf/a", 1);
        long c = put(own + "pf/c", 3);
        long d = put(own + "pf/d", 4);
        Response r = batch(set(own + "pf/a", 10, "\"ifRevision\":" + a), set(own + "pf/b", 20, "\"ifAbsent\":true"),
                delete(own + "pf/c", "\"ifRevision\":" + (c + 1000)), set(own + "pf/d", 40, "\"ifAbsent\":true"),
                set(own + "pf/e", 50));
        r.then().statusCode(412).contentType("application/problem+json")
                .body("type", equalTo("urn:kv-store:problem:precondition-failed"), "status", equalTo(412),
                        "title", equalTo("Precondition failed"), "instance", equalTo("/batch"),
                        "failedOperation", equalTo(2), "detail", containsString(own + "pf/c"));
        // The first failing operation is named; every operation is reported, with the key's current revision.
        assertThat(r.asString()).contains("\"results\":["
                + result("set", own + "pf/a", "aborted", a, a) + ","
                + result("set", own + "pf/b", "aborted", null, null) + ","
                + result("delete", own + "pf/c", "precondition-failed", c, c) + ","
                + result("set", own + "pf/d", "precondition-failed", d, d) + ","
                + result("set", own + "pf/e", "aborted", null, null) + "]");
        assertCurrent(own + "pf/a", 1, a, a);
        assertCurrent(own + "pf/c", 3, c, c);
        assertCurrent(own + "pf/d", 4, d, d);
        assertAbsent(own + "pf/b", own + "pf/e");
        assertThat(nextRevision()).isEqualTo(d + 1);
    }

    @Test
    void ifAbsentOnAnExistingKeyAndIfRevisionOnAMissingKeyFail() {
        long x = put(own + "cond/x", 1);
        Response exists = batch(set(own + "cond/y", 2), set(own + "cond/x", 2, "\"ifAbsent\":true"));
        exists.then().statusCode(412).body("failedOperation", equalTo(1));
        assertThat(exists.asString()).contains("\"results\":[" + result("set", own + "cond/y", "aborted", null, null)
                + "," + result("set", own + "cond/x", "precondition-failed", x, x) + "]");

        Response missing = batch(delete(own + "cond/missing", "\"ifRevision\":" + x), set(own + "cond/y", 2));
        missing.then().statusCode(412).body("failedOperation", equalTo(0));
        assertThat(missing.asString()).contains("\"results\":["
                + result("delete", own + "cond/missing", "precondition-failed", null, null) + ","
                + result("set", own + "cond/y", "aborted", null, null) + "]");
        assertAbsent(own + "cond/y", own + "cond/missing");
        assertCurrent(own + "cond/x", 1, x, x);
        assertThat(nextRevision()).isEqualTo(x + 1);
    }

    // ---- refused as invalid ----

    @Test
    void malformedBatchesAre400InvalidBatchAndChangeNothing() {
        long before = nextRevision();
        String[][] bad = {
                {"{\"operations\":[]}", "invalid-batch"},
                {"{\"operations\":[" + set(own + "inv/a", 1) + "," + delete(own + "inv/a") + "]}", "invalid-batch"},
                {"{\"operations\":[" + set(own + "inv/a", 1) + "," + set(own + "inv/a", 2) + "]}", "invalid-batch"},
                {"{\"operations\":[" + set(own + "inv/a", 1) + "],\"atomic\":true}", "invalid-batch"},
                {"{\"operations\":[" + set(own + "inv/a", 1, "\"ttl\":5") + "]}", "invalid-batch"},
                {"{\"operations\":[{\"op\":\"update\",\"key\":\"" + own + "inv/a\",\"type\":\"integer\",\"value\":1}]}",
                        "invalid-batch"},
                {"{\"operations\":[{\"op\":\"SET\",\"key\":\"" + own + "inv/a\",\"type\":\"integer\",\"value\":1}]}",
                        "invalid-batch"},
                {"{\"operations\":[{\"op\":\"delete\",\"key\":\"" + own + "inv/a\",\"value\":1}]}", "invalid-batch"},
                {"{\"operations\":[{\"op\":\"delete\",\"key\":\"" + own + "inv/a\",\"type\":\"integer\"}]}",
                        "invalid-batch"},
                {"{\"operations\":[" + set(own + "inv/a", 1, "\"ifRevision\":3", "\"ifAbsent\":true") + "]}",
                        "invalid-batch"},
                {"{\"operations\":[" + set(own + "inv/a", 1, "\"ifRevision\":0") + "]}", "invalid-batch"},
                {"{\"operations\":[" + set(own + "inv/a", 1, "\"ifRevision\":\"3\"") + "]}", "invalid-batch"},
                {"{\"operations\":[" + set(own + "inv/a", 1, "\"ifAbsent\":\"yes\"") + "]}", "invalid-batch"},
                {"{\"operations\":[{\"op\":\"set\",\"type\":\"integer\",\"value\":1}]}", "invalid-batch"},
                {"{\"operations\":[{\"key\":\"" + own + "inv/a\",\"type\":\"integer\",\"value\":1}]}", "invalid-batch"},
                {"{\"operations\":[{\"op\":\"set\",\"key\":\"" + own + "inv/a\",\"value\":1}]}", "invalid-batch"},
                {"{\"operations\":[{\"op\":\"set\",\"key\":\"" + own + "inv/a\",\"type\":\"integer\"}]}",
                        "invalid-batch"},
                {"{\"operations\":[{\"op\":\"set\",\"key\":\"" + own + "inv/a\",\"type\":\"integer\",\"value\":1.5}]}",
                        "invalid-batch"},
                {"{\"operations\":[" + set(own + "inv/a", 1) + ",42]}", "invalid-batch"},
                {"{\"operations\":{}}", "invalid-batch"},
                {"{\"ops\":[" + set(own + "inv/a", 1) + "]}", "invalid-batch"},
                {"{}", "invalid-batch"},
                {"[]", "invalid-batch"},
                {"", "invalid-batch"},
                {"{\"operations\":[" + set(own + "inv/a", 1), "malformed-json"},
                {"{\"operations\":[" + set(own + "inv/a", 1) + "]} x", "malformed-json"},
        };
        for (String[] b : bad) {
            Response r = batchBody(b[0]);
            assertThat(r.statusCode()).as(b[0] + " -> " + r.asString()).isEqualTo(400);
            assertInvalid(r, b[1]);
        }
        assertAbsent(own + "inv/a");
        assertThat(nextRevision()).isEqualTo(before + 1);
    }

    @Test
    void theDetailOfAnInvalidOperationNamesIt() {
        batch(set(own + "name/a", 1), "{\"op\":\"delete\",\"key\":\"" + own + "name/b\",\"value\":1}").then()
                .statusCode(400)
                .body("type", equalTo("urn:kv-store:problem:invalid-batch"), "detail", containsString("Operation 1"));
        batch(set(own + "name/a", 1), set(own + "name/a", 2)).then().statusCode(400)
                .body("detail", containsString(own + "name/a"));
        assertAbsent(own + "name/a", own + "name/b");
    }

    @Test
    void anInvalidKeyInABatchIs400InvalidKey() {
        batch(set(own + "key/ok", 1), set("", 2)).then().statusCode(400)
                .body("type", equalTo("urn:kv-store:problem:invalid-key"));
        assertAbsent(own + "key/ok");
    }

    @Test
    void aBatchThatIsNotJsonIs415() {
        http().contentType("text/plain").body("{\"operations\":[" + set(own + "ct/a", 1) + "]}").post("/batch").then()
                .statusCode(415).contentType("application/problem+json");
        assertAbsent(own + "ct/a");
    }

    // ---- atomic for readers ----

    /**
     * One writer sets {@code pair/x} and {@code pair/y} to the same increasing integer in one batch after another
     * for about two seconds, while readers list {@code prefix=pair/}: every page is one state, so x and y always
     * hold the same value under the same revision, and a reader never goes back in time.
     */
    @Test
    void readersNeverSeeHalfABatch() throws Exception {
        batch(set(own + "pair/x", 0), set(own + "pair/y", 0)).then().statusCode(200);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        URI batchUri = URI.create("http://localhost:" + port + "/batch");
        URI listUri = URI.create("http://localhost:" + port + "/keys?prefix=" + own + "pair/");
        Pattern pair = Pattern.compile("^\\{\"items\":\\["
                + "\\{\"key\":\"" + own + "pair/x\",\"type\":\"integer\",\"value\":(\\d+),\"revision\":(\\d+),"
                + "\"createRevision\":\\d+},"
                + "\\{\"key\":\"" + own + "pair/y\",\"type\":\"integer\",\"value\":(\\d+),\"revision\":(\\d+),"
                + "\"createRevision\":\\d+}"
                + "],\"cursor\":null,\"next\":null,\"revision\":\\d+}$");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong pages = new AtomicLong();
        AtomicLong written = new AtomicLong();
        int readers = 3;
        ExecutorService pool = Executors.newFixedThreadPool(readers + 1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            futures.add(pool.submit(() -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                long lastRevision = 0;
                for (long i = 1; System.nanoTime() < deadline; i++) {
                    String body = "{\"operations\":[" + set(own + "pair/x", i) + "," + set(own + "pair/y", i) + "]}";
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(batchUri)
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    Matcher m = Pattern.compile("^\\{\"revision\":(\\d+),").matcher(r.body());
                    assertThat(m.find()).isTrue();
                    long revision = Long.parseLong(m.group(1));
                    assertThat(revision).isGreaterThan(lastRevision);
                    lastRevision = revision;
                    written.set(i);
                }
                stop.set(true);
                return null;
            }));
            for (int t = 0; t < readers; t++) {
                futures.add(pool.submit(() -> {
                    long lastValue = 0;
                    while (!stop.get()) {
                        HttpResponse<String> r = client.send(HttpRequest.newBuilder(listUri).GET().build(),
                                HttpResponse.BodyHandlers.ofString());
                        assertThat(r.statusCode()).isEqualTo(200);
                        Matcher m = pair.matcher(r.body());
                        assertThat(m.matches()).as(r.body()).isTrue();
                        assertThat(m.group(1)).as("x and y in one page: %s", r.body()).isEqualTo(m.group(3));
                        assertThat(m.group(2)).as("one revision for both: %s", r.body()).isEqualTo(m.group(4));
                        long value = Long.parseLong(m.group(1));
                        assertThat(value).as("a later page never shows an older batch").isGreaterThanOrEqualTo(lastValue);
                        lastValue = value;
                        pages.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        assertThat(written.get()).as("batches written").isGreaterThan(10);
        assertThat(pages.get()).as("pages read").isGreaterThan(10);
        Response last = http().get("/keys/" + own + "pair/y");
        assertThat(last.jsonPath().getLong("value")).isEqualTo(written.get());
        System.out.printf("atomic batches: %d batches written, %d pages read%n", written.get(), pages.get());
    }
}
