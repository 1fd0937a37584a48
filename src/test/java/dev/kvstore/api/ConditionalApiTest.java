package dev.kvstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import dev.kvstore.ApiTest;
import io.restassured.response.Response;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * RFC 9110 conditional requests on {@code /keys/{key}} over a real port: the ETag is the key's revision in quotes,
 * {@code If-Match} compares strongly, {@code If-None-Match} weakly, and a failed precondition writes nothing (the
 * revision counter does not move, which the next write's revision shows).
 *
 * <p>The log is not forced ({@code kv.wal.sync=none}): the read-modify-write test makes 8000 conditional writes
 * one after the other, which would otherwise wait for 8000 fsyncs in a row. Preconditions are decided on the writer
 * thread the same way in every sync mode; durability is what RestartApiTest and AtomicRestartApiTest are about.
 */
@ApiTest(properties = "kv.wal.sync=none")
class ConditionalApiTest {

    private static final String PRECONDITION_FAILED = "urn:kv-store:problem:precondition-failed";
    private static final String INVALID_PRECONDITION = "urn:kv-store:problem:invalid-precondition";

    @LocalServerPort
    int port;

    private RequestSpecification http() {
        return given().port(port).urlEncodingEnabled(false);
    }

    private Response put(String key, String json, String... headers) {
        RequestSpecification r = http().contentType("application/json").body(json);
        for (int i = 0; i < headers.length; i += 2) {
            r = r.header(headers[i], headers[i + 1]);
        }
        return r.put("/keys/" + key);
    }

    private static String integer(long value) {
        return "{\"type\":\"integer\",\"value\":" + value + "}";
    }

    /** The exact body of an integer entry. */
    private static String entry(String key, long value, long revision, long createRevision) {
        return "{\"key\":\"" + key + "\",\"type\":\"integer\",\"value\":" + value + ",\"revision\":" + revision
                + ",\"createRevision\":" + createRevision + "}";
    }

    private static String etag(long revision) {
        return "\"" + revision + "\"";
    }

    /** Creates {@code key} (which must be new) with {@code value} and returns the revision that created it. */
    private long create(String key, long value) {
        Response r = put(key, integer(value));
        r.then().statusCode(201);
        long revision = r.jsonPath().getLong("revision");
        assertThat(r.asString()).isEqualTo(entry(key, value, revision, revision));
        return revision;
    }

    /** Writes a fresh key and returns its revision: the counter's next value, to see that nothing moved it. */
    private long nextRevision() {
        return create("probe-" + System.nanoTime(), 0);
    }

    private void assertCurrent(String key, long value, long revision, long createRevision) {
        Response r = http().get("/keys/" + key);
        r.then().statusCode(200).header("ETag", etag(revision));
        assertThat(r.asString()).isEqualTo(entry(key, value, revision, createRevision));
    }

    private static ValidatableResponse assertPreconditionFailed(Response r, Long currentRevision) {
        ValidatableResponse v = r.then().statusCode(412).contentType("application/problem+json")
                .header("ETag", nullValue())
                .body("type", equalTo(PRECONDITION_FAILED), "status", equalTo(412),
                        "title", equalTo("Precondition failed"));
        // Exactly this number, or null when the key has none (not left out).
        assertThat(r.asString()).containsPattern("\"currentRevision\":" + currentRevision + "[,}]");
        return v;
    }

    private static void assertInvalidPrecondition(Response r) {
        r.then().statusCode(400).contentType("application/problem+json")
                .body("type", equalTo(INVALID_PRECONDITION), "status", equalTo(400));
    }

    // ---- revisions and ETags ----

    @Test
    void putAndGetCarryTheRevisionAsAStrongETagAndAReplaceKeepsTheCreateRevision() {
        Response created = put("etag-basics", integer(1));
        long c = created.jsonPath().getLong("revision");
        created.then().statusCode(201).header("ETag", etag(c));
        assertThat(created.asString()).isEqualTo(entry("etag-basics", 1, c, c));

        Response replaced = put("etag-basics", integer(2));
        replaced.then().statusCode(200).header("ETag", etag(c + 1));
        assertThat(replaced.asString()).isEqualTo(entry("etag-basics", 2, c + 1, c));

        assertCurrent("etag-basics", 2, c + 1, c);
        assertThat(nextRevision()).isEqualTo(c + 2);
    }

    @Test
    void aKeyDeletedAndSetAgainIsCreatedAgain() {
        long c = create("reborn", 1);
        put("reborn", integer(2)).then().statusCode(200);
        http().delete("/keys/reborn").then().statusCode(204);
        Response again = put("reborn", integer(3));
        again.then().statusCode(201).header("ETag", etag(c + 3));
        assertThat(again.asString()).isEqualTo(entry("reborn", 3, c + 3, c + 3));
    }

    // ---- If-Match on writes ----

    @Test
    void putWithAMatchingIfMatchReplaces() {
        long c = create("im-ok", 1);
        Response r = put("im-ok", integer(2), "If-Match", etag(c));
        r.then().statusCode(200).header("ETag", etag(c + 1));
        assertThat(r.asString()).isEqualTo(entry("im-ok", 2, c + 1, c));
    }

    @Test
    void putWithAStaleIfMatchIs412WithTheCurrentRevisionAndWritesNothing() {
        long c = create("im-stale", 1);
        put("im-stale", integer(2)).then().statusCode(200);
        assertPreconditionFailed(put("im-stale", integer(99), "If-Match", etag(c)), c + 1)
                .body("instance", equalTo("/keys/im-stale"));
        assertCurrent("im-stale", 2, c + 1, c);
        assertThat(nextRevision()).isEqualTo(c + 2);
    }

    @Test
    void ifMatchOnAMissingKeyIs412WithANullCurrentRevisionAndCreatesNothing() {
        long before = nextRevision();
        assertPreconditionFailed(put("im-missing", integer(1), "If-Match", "\"1\""), null);
        assertPreconditionFailed(put("im-missing", integer(1), "If-Match", "*"), null);
        http().get("/keys/im-missing").then().statusCode(404);
        assertThat(nextRevision()).isEqualTo(before + 1);
    }

    @Test
    void ifMatchStarReplacesAnyExistingValue() {
        long c = create("im-star", 1);
        Response r = put("im-star", integer(2), "If-Match", "*");
        r.then().statusCode(200);
        assertThat(r.asString()).isEqualTo(entry("im-star", 2, c + 1, c));
    }

    @Test
    void ifMatchTakesAListOfEntityTags() {
        long c = create("im-list", 1);
        put("im-list", integer(2), "If-Match", "\"999999\", " + etag(c) + ",\"7\"").then().statusCode(200)
                .header("ETag", etag(c + 1));
        assertPreconditionFailed(put("im-list", integer(3), "If-Match", "\"999999\", " + etag(c)), c + 1);
        assertCurrent("im-list", 2, c + 1, c);
    }

    @Test
    void ifMatchComparesStronglySoAWeakTagNeverMatches() {
        long c = create("im-weak", 1);
        assertPreconditionFailed(put("im-weak", integer(2), "If-Match", "W/" + etag(c)), c);
        assertPreconditionFailed(http().header("If-Match", "W/" + etag(c)).get("/keys/im-weak"), c);
        assertPreconditionFailed(http().header("If-Match", "W/" + etag(c)).delete("/keys/im-weak"), c);
        assertCurrent("im-weak", 1, c, c);
        assertThat(nextRevision()).isEqualTo(c + 1);
    }

    @Test
    void patchWithAStaleIfMatchIs412AndIncrementsNothing() {
        long c = create("im-patch", 10);
        put("im-patch", integer(20)).then().statusCode(200);
        assertPreconditionFailed(http().contentType("application/json").header("If-Match", etag(c))
                .body("{\"increment\":5}").patch("/keys/im-patch"), c + 1);
        assertCurrent("im-patch", 20, c + 1, c);
        Response ok = http().contentType("application/json").header("If-Match", etag(c + 1))
                .body("{\"increment\":5}").patch("/keys/im-patch");
        ok.then().statusCode(200).header("ETag", etag(c + 2));
        assertThat(ok.asString()).isEqualTo(entry("im-patch", 25, c + 2, c));
    }

    @Test
    void patchWithIfMatchStarOnAMissingKeyIs412AndCreatesNothing() {
        long before = nextRevision();
        assertPreconditionFailed(http().contentType("application/json").header("If-Match", "*")
                .body("{\"increment\":1}").patch("/keys/im-patch-missing"), null);
        http().get("/keys/im-patch-missing").then().statusCode(404);
        assertThat(nextRevision()).isEqualTo(before + 1);
    }

    @Test
    void patchWithIfNoneMatchStarCreatesTheCounterOnlyOnce() {
        Response created = http().contentType("application/json").header("If-None-Match", "*")
                .body("{\"increment\":7}").patch("/keys/inm-patch");
        created.then().statusCode(201);
        long c = created.jsonPath().getLong("revision");
        assertThat(created.asString()).isEqualTo(entry("inm-patch", 7, c, c));
        assertPreconditionFailed(http().contentType("application/json").header("If-None-Match", "*")
                .body("{\"increment\":7}").patch("/keys/inm-patch"), c);
        assertCurrent("inm-patch", 7, c, c);
    }

    @Test
    void deleteWithAStaleIfMatchIs412AndKeepsTheKeyAndAMatchingOneDeletes() {
        long c = create("im-delete", 1);
        put("im-delete", integer(2)).then().statusCode(200);
        assertPreconditionFailed(http().header("If-Match", etag(c)).delete("/keys/im-delete"), c + 1);
        assertCurrent("im-delete", 2, c + 1, c);
        http().header("If-Match", etag(c + 1)).delete("/keys/im-delete").then().statusCode(204)
                .header("ETag", nullValue());
        http().get("/keys/im-delete").then().statusCode(404);
        assertThat(nextRevision()).isEqualTo(c + 3);
    }

    @Test
    void deleteWithIfMatchOfAMissingKeyIs412NotA404() {
        long before = nextRevision();
        assertPreconditionFailed(http().header("If-Match", "*").delete("/keys/im-delete-missing"), null);
        assertPreconditionFailed(http().header("If-Match", "\"3\"").delete("/keys/im-delete-missing"), null);
        assertThat(nextRevision()).isEqualTo(before + 1);
    }

    // ---- If-None-Match on writes ----

    @Test
    void ifNoneMatchStarCreatesOnlyAndIs412WhenTheKeyExists() {
        Response created = put("inm-create", integer(1), "If-None-Match", "*");
        created.then().statusCode(201);
        long c = created.jsonPath().getLong("revision");
        assertThat(created.asString()).isEqualTo(entry("inm-create", 1, c, c));
        assertPreconditionFailed(put("inm-create", integer(2), "If-None-Match", "*"), c);
        assertCurrent("inm-create", 1, c, c);
        assertThat(nextRevision()).isEqualTo(c + 1);
    }

    @Test
    void putWithIfNoneMatchOfTheCurrentTagIs412AndOfAnotherTagWrites() {
        long c = create("inm-tag", 1);
        assertPreconditionFailed(put("inm-tag", integer(2), "If-None-Match", etag(c)), c);
        assertPreconditionFailed(put("inm-tag", integer(2), "If-None-Match", "W/" + etag(c)), c);
        put("inm-tag", integer(3), "If-None-Match", etag(c + 100)).then().statusCode(200)
                .header("ETag", etag(c + 1));
        assertCurrent("inm-tag", 3, c + 1, c);
    }

    // ---- conditional GET ----

    @Test
    void getWithIfNoneMatchOfTheCurrentTagIs304WithTheETagAndNoBody() {
        long c = create("cg-304", 1);
        for (String tag : new String[] {etag(c), "W/" + etag(c), "\"5000000\", " + etag(c), "*"}) {
            Response r = http().header("If-None-Match", tag).get("/keys/cg-304");
            r.then().statusCode(304).header("ETag", etag(c));
            assertThat(r.asByteArray()).as(tag).isEmpty();
        }
    }

    @Test
    void getWithIfNoneMatchOfAnOlderTagIs200WithTheNewBody() {
        long c = create("cg-200", 1);
        put("cg-200", integer(2)).then().statusCode(200);
        Response r = http().header("If-None-Match", etag(c)).get("/keys/cg-200");
        r.then().statusCode(200).header("ETag", etag(c + 1));
        assertThat(r.asString()).isEqualTo(entry("cg-200", 2, c + 1, c));
    }

    @Test
    void getWithIfMatchIs200WhenItMatchesAnd412Otherwise() {
        long c = create("cg-if-match", 1);
        Response ok = http().header("If-Match", etag(c)).get("/keys/cg-if-match");
        ok.then().statusCode(200).header("ETag", etag(c));
        assertThat(ok.asString()).isEqualTo(entry("cg-if-match", 1, c, c));
        assertPreconditionFailed(http().header("If-Match", etag(c + 1000)).get("/keys/cg-if-match"), c);
        assertPreconditionFailed(http().header("If-Match", "*").get("/keys/cg-if-match-missing"), null);
        http().get("/keys/cg-if-match-missing").then().statusCode(404)
                .body("type", equalTo("urn:kv-store:problem:key-not-found"));
    }

    // ---- malformed headers ----

    @Test
    void aMalformedPreconditionHeaderIs400AndWritesNothing() {
        long c = create("bad-header", 1);
        String[] bad = {"5", "\"5", "W/5", "5, \"6\"", "\"5\" x", "*, \"5\"", "w/\"5\""};
        for (String value : bad) {
            assertInvalidPrecondition(put("bad-header", integer(2), "If-Match", value));
            assertInvalidPrecondition(put("bad-header", integer(2), "If-None-Match", value));
            assertInvalidPrecondition(http().header("If-Match", value).get("/keys/bad-header"));
            assertInvalidPrecondition(http().header("If-None-Match", value).get("/keys/bad-header"));
            assertInvalidPrecondition(http().header("If-Match", value).delete("/keys/bad-header"));
            assertInvalidPrecondition(http().contentType("application/json").header("If-Match", value)
                    .body("{\"increment\":1}").patch("/keys/bad-header"));
        }
        assertCurrent("bad-header", 1, c, c);
        assertThat(nextRevision()).isEqualTo(c + 1);
    }

    @Test
    void anEmptyPreconditionHeaderIs400() throws IOException {
        create("empty-header", 1);
        for (String name : new String[] {"If-Match", "If-None-Match"}) {
            RawHttp.Reply r = RawHttp.sendWithHeader(port, "GET", "/keys/empty-header", name, "");
            assertThat(r.status()).as(name).isEqualTo(400);
            assertThat(r.head()).containsIgnoringCase("Content-Type: application/problem+json");
            assertThat(r.body()).contains("\"type\":\"" + INVALID_PRECONDITION + "\"");
        }
    }

    // ---- optimistic concurrency ----

    /**
     * 16 clients each add 1 to one integer 500 times by read-modify-write: GET the value and its ETag, PUT the value
     * plus one with {@code If-Match}, and on 412 start over. Every acknowledged PUT must be applied exactly once.
     */
    @Test
    void readModifyWriteFromSixteenClientsLosesNoUpdate() throws Exception {
        int threads = 16;
        int perThread = 500;
        long c = create("rmw-counter", 0);
        URL url = URI.create("http://localhost:" + port + "/keys/rmw-counter").toURL();
        Pattern valueOf = Pattern.compile("\"value\":(-?\\d+),\"revision\":(\\d+),\"createRevision\":(\\d+)}$");
        AtomicInteger successes = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        Set<Long> valuesWritten = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    int backoff = 0;
                    for (int done = 0; done < perThread; ) {
                        Reply got = send(url, "GET", null, null);
                        assertThat(got.status()).isEqualTo(200);
                        Matcher m = valueOf.matcher(got.body());
                        assertThat(m.find()).as(got.body()).isTrue();
                        long value = Long.parseLong(m.group(1));
                        assertThat(got.etag()).isEqualTo(etag(Long.parseLong(m.group(2))));
                        Reply put = send(url, "PUT", got.etag(), integer(value + 1));
                        if (put.status() == 412) {
                            assertThat(put.body()).contains("\"type\":\"" + PRECONDITION_FAILED + "\"");
                            conflicts.incrementAndGet();
                            // Randomized exponential backoff (up to 0.2 s): a client that lost a race waits
                            // longer each time, so that 16 clients on one key do not spend the shared CPU on
                            // retries that are bound to fail; the one that won goes on at once.
                            backoff = Math.min(backoff + 1, 10);
                            LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(200_000L << backoff));
                            continue;
                        }
                        assertThat(put.status()).as(put.body()).isEqualTo(200);
                        // The write applied is exactly the one read-modify-write computed, on the state it read.
                        assertThat(put.body()).isEqualTo(entry("rmw-counter", value + 1, c + value + 1, c));
                        assertThat(put.etag()).isEqualTo(etag(c + value + 1));
                        assertThat(valuesWritten.add(value + 1)).as("value %d written twice", value + 1).isTrue();
                        successes.incrementAndGet();
                        done++;
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        int total = threads * perThread;
        assertThat(successes.get()).isEqualTo(total);
        assertThat(valuesWritten).hasSize(total);
        // The only writes to the key: its creation, then one per success.
        assertCurrent("rmw-counter", total, c + total, c);
        assertThat(nextRevision()).isEqualTo(c + total + 1);
        System.out.printf("read-modify-write: %d successes, %d conflicts (412) retried%n", successes.get(),
                conflicts.get());
    }

    private record Reply(int status, String etag, String body) {
    }

    /**
     * One request over {@link HttpURLConnection}, which keeps connections alive and answers a small request in a
     * third of the time {@code java.net.http.HttpClient} takes here: the test is bound by one client's latency.
     * The body is sent in streaming mode, so a PUT is never resent on its own.
     */
    private static Reply send(URL url, String method, String ifMatch, String json) throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.openConnection();
        c.setRequestMethod(method);
        if (ifMatch != null) {
            c.setRequestProperty("If-Match", ifMatch);
        }
        if (json != null) {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json");
            c.setFixedLengthStreamingMode(bytes.length);
            try (OutputStream out = c.getOutputStream()) {
                out.write(bytes);
            }
        }
        int status = c.getResponseCode();
        try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
            String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Reply(status, c.getHeaderField("ETag"), body);
        }
    }
}
