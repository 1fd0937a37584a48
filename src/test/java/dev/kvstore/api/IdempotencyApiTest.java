package dev.kvstore.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.restassured.response.Response;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@code Idempotency-Key} over a real port: a retried write is applied once and its answer replayed (also after a
 * connection dropped under the first), the same key with another request is 422, a repeat while the first is in
 * flight is 409, keys belong to the token that sent them, and the number of remembered keys stays within its bound.
 */
class IdempotencyApiTest extends LeasesApiContext {

    private static final String JSON = "application/json";
    private static final String KEY = "Idempotency-Key";
    private static final String REPLAYED = "Idempotent-Replayed";

    private Response put(String token, String key, String idempotencyKey, String json) {
        return as(token).contentType(JSON).header(KEY, idempotencyKey).body(json).put("/keys/" + key);
    }

    /**
     * The test: 16 clients each make 500 increments, each sent twice with the same key; one in ten is first
     * sent on a connection the client closes before the answer comes, as a client that timed out would. The counter
     * ends at exactly 8,000.
     */
    @Test
    void sixteenClientsRetryingEveryIncrementCountEachOnce() throws Exception {
        int clients = 16;
        int increments = 500;
        String counter = "i1/counter";
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        AtomicLong replays = new AtomicLong();
        AtomicLong inFlight = new AtomicLong();
        AtomicLong dropped = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long start = System.nanoTime();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < increments; i++) {
                        String idem = "c" + client + "-" + i;
                        HttpRequest patch = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/keys/"
                                        + counter)).header("Authorization", "Bearer " + ALICE)
                                .header("Content-Type", JSON).header(KEY, idem)
                                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"increment\":1}")).build();
                        HttpResponse<String> first;
                        if (i % 10 == 0) {
                            dropAfterSending(counter, idem);
                            dropped.incrementAndGet();
                            first = untilNotInFlight(http, patch, inFlight);
                        } else {
                            first = http.send(patch, HttpResponse.BodyHandlers.ofString());
                            assertThat(first.headers().firstValue(REPLAYED)).as(idem).isEmpty();
                        }
                        assertThat(first.statusCode()).as(idem).isIn(200, 201);
                        HttpResponse<String> again = untilNotInFlight(http, patch, inFlight);
                        assertThat(again.statusCode()).as(idem).isEqualTo(first.statusCode());
                        assertThat(again.headers().firstValue(REPLAYED)).as(idem).contains("true");
                        assertThat(again.body()).as(idem).isEqualTo(first.body());
                        replays.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        alice().get("/keys/" + counter).then().statusCode(200).body("value", equalTo(clients * increments));
        System.out.printf("IdempotencyApiTest: %d clients x %d increments, each sent twice (%d first sent on a"
                + " dropped connection, %d answered 409 in flight meanwhile): counter %d, %d replays, %d ms%n",
                clients, increments, dropped.get(), inFlight.get(), clients * increments, replays.get(), millis);
    }

    /** Sends the increment on a connection of its own and closes it without reading the answer. */
    private void dropAfterSending(String key, String idempotencyKey) throws Exception {
        byte[] body = "{\"increment\":1}".getBytes(StandardCharsets.US_ASCII);
        try (Socket s = new Socket("localhost", port)) {
            OutputStream out = s.getOutputStream();
            out.write(("PATCH /keys/" + key + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + ALICE
                    + "\r\nContent-Type: application/json\r\n" + KEY + ": " + idempotencyKey + "\r\nContent-Length: "
                    + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
        }
    }

    /** Sends {@code request} until it is not refused as in flight (409): what a client does with Retry-After. */
    private static HttpResponse<String> untilNotInFlight(HttpClient http, HttpRequest request, AtomicLong inFlight)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 409) {
                return r;
            }
            assertThat(r.body()).contains("idempotency-key-in-flight");
            assertThat(r.headers().firstValue("Retry-After")).contains("1");
            inFlight.incrementAndGet();
            assertThat(System.nanoTime()).as("still in flight after 30 s").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    @Test
    void aRepeatGetsTheFirstAnswerAndWritesNothing() {
        Response first = put(ALICE, "i2/s", "put-1", "{\"type\":\"string\",\"value\":\"h\\u00e9llo\"}");
        first.then().statusCode(201).header(REPLAYED, nullValue()).body("value", equalTo("héllo"));
        long revision = store.revision();
        Response again = put(ALICE, "i2/s", "put-1", "{\"type\":\"string\",\"value\":\"h\\u00e9llo\"}");
        again.then().statusCode(201).header(REPLAYED, equalTo("true")).header("ETag", first.header("ETag"))
                .header("Location", first.header("Location"));
        assertThat(again.asString()).isEqualTo(first.asString());
        assertThat(store.revision()).as("nothing written").isEqualTo(revision);

        alice().header(KEY, "del-1").delete("/keys/i2/s").then().statusCode(204).header(REPLAYED, nullValue());
        alice().header(KEY, "del-1").delete("/keys/i2/s").then().statusCode(204).header(REPLAYED, equalTo("true"));
        alice().header(KEY, "del-2").delete("/keys/i2/s").then().statusCode(404);

        String batch = "{\"operations\":[{\"op\":\"set\",\"key\":\"i2/a\",\"type\":\"integer\",\"value\":1},"
                + "{\"op\":\"set\",\"key\":\"i2/b\",\"type\":\"string\",\"value\":\"x\"}]}";
        Response b1 = alice().contentType(JSON).header(KEY, "\"batch-1\"").body(batch).post("/batch");
        b1.then().statusCode(200);
        revision = store.revision();
        Response b2 = alice().contentType(JSON).header(KEY, "\"batch-1\"").body(batch).post("/batch");
        b2.then().statusCode(200).header(REPLAYED, equalTo("true"));
        assertThat(b2.asString()).isEqualTo(b1.asString());
        assertThat(store.revision()).isEqualTo(revision);

        // A refusal the store decided is remembered too: the repeat is refused the same way, even once it would
        // not be.
        Response refused = alice().contentType(JSON).header(KEY, "pre-1").header("If-Match", "\"1\"")
                .body("{\"type\":\"integer\",\"value\":2}").put("/keys/i2/a");
        refused.then().statusCode(412);
        alice().contentType(JSON).header(KEY, "pre-1").header("If-Match", "\"1\"")
                .body("{\"type\":\"integer\",\"value\":2}").put("/keys/i2/a").then().statusCode(412)
                .header(REPLAYED, equalTo("true"));
    }

    @Test
    void theSameKeyWithAnotherRequestIs422AndWritesNothing() {
        put(ALICE, "i3/a", "k-1", "{\"type\":\"integer\",\"value\":1}").then().statusCode(201);
        long revision = store.revision();
        for (Response r : List.of(
                put(ALICE, "i3/a", "k-1", "{\"type\":\"integer\",\"value\":2}"),
                put(ALICE, "i3/b", "k-1", "{\"type\":\"integer\",\"value\":1}"),
                alice().contentType(JSON).header(KEY, "k-1").header("If-Match", "*")
                        .body("{\"type\":\"integer\",\"value\":1}").put("/keys/i3/a"),
                alice().contentType(JSON).header(KEY, "k-1").body("{\"increment\":1}").patch("/keys/i3/a"),
                alice().header(KEY, "k-1").delete("/keys/i3/a"))) {
            r.then().statusCode(422).contentType("application/problem+json")
                    .body("type", equalTo("urn:kv-store:problem:idempotency-key-reused"));
        }
        assertThat(store.revision()).isEqualTo(revision);
        alice().get("/keys/i3/a").then().body("value", equalTo(1));
        for (String bad : List.of("", "x".repeat(256), "caf\u00e9", "\"bad\"quote\"")) {
            put(ALICE, "i3/c", bad, "{\"type\":\"integer\",\"value\":1}").then().statusCode(400)
                    .body("type", equalTo("urn:kv-store:problem:invalid-idempotency-key"));
        }
        alice().get("/keys/i3/c").then().statusCode(404);
    }

    /** A repeat while the first request waits for its force is 409 with Retry-After; afterwards it replays. */
    @Test
    void aRepeatWhileTheFirstIsInFlightIs409() throws Exception {
        String json = "{\"type\":\"integer\",\"value\":7}";
        DISK.holdForces();
        CompletableFuture<Response> first;
        try {
            first = CompletableFuture.supplyAsync(() -> put(ALICE, "i4/a", "held-1", json));
            assertThat(DISK.awaitHeldForce(Duration.ofSeconds(30))).as("the first write waits for its force").isTrue();
            put(ALICE, "i4/a", "held-1", json).then().statusCode(409).header("Retry-After", equalTo("1"))
                    .body("type", equalTo("urn:kv-store:problem:idempotency-key-in-flight"));
            put(ALICE, "i4/a", "held-1", "{\"type\":\"integer\",\"value\":8}").then().statusCode(422);
        } finally {
            DISK.releaseForces();
        }
        Response answered = first.get(30, TimeUnit.SECONDS);
        answered.then().statusCode(201).header(REPLAYED, nullValue());
        Response again = put(ALICE, "i4/a", "held-1", json);
        again.then().statusCode(201).header(REPLAYED, equalTo("true"));
        assertThat(again.asString()).isEqualTo(answered.asString());
    }

    @Test
    void keysBelongToTheTokenThatSentThem() {
        String json = "{\"type\":\"integer\",\"value\":1}";
        put(ALICE, "i5/a", "shared", json).then().statusCode(201);
        long revision = store.revision();
        put(BOB, "i5/a", "shared", json).then().statusCode(200).header(REPLAYED, nullValue());
        assertThat(store.revision()).as("bob's request was applied, not answered with alice's").isEqualTo(revision + 1);
        put(BOB, "i5/a", "shared", json).then().statusCode(200).header(REPLAYED, equalTo("true"));
        put(ALICE, "i5/a", "shared", json).then().statusCode(201).header(REPLAYED, equalTo("true"));
        put(BOB, "i5/a", "shared", "{\"type\":\"integer\",\"value\":2}").then().statusCode(422);
    }

    /**
     * At most kv.idempotency.max-keys (300 here) records are kept, oldest dropped first; a dropped key's request is
     * decided again. Prints what a record costs in the log.
     */
    @Test
    void theNumberOfRememberedKeysStaysWithinItsBound() {
        String json = "{\"type\":\"integer\",\"value\":1}";
        int n = MAX_KEYS + 50;
        for (int i = 0; i < n; i++) {
            put(ALICE, "i6/" + i, "bound-" + i, json).then().statusCode(201);
        }
        var status = store.idempotencyStatus();
        assertThat(status.keys()).isEqualTo(MAX_KEYS);
        as(ADMIN).get("/actuator/health").then().statusCode(200)
                .body("components.leases.details.idempotency.keys", equalTo(MAX_KEYS));
        put(ALICE, "i6/" + (n - 1), "bound-" + (n - 1), json).then().statusCode(201).header(REPLAYED, equalTo("true"));
        long revision = store.revision();
        put(ALICE, "i6/0", "bound-0", json).then().statusCode(200).header(REPLAYED, nullValue());
        assertThat(store.revision()).as("the oldest key was dropped, so its request was decided again")
                .isEqualTo(revision + 1);
        System.out.printf("IdempotencyApiTest: %d records remembered in %d log bytes: %d bytes per idempotent write"
                + " (keys of 7 to 9 characters, the scope \"alice\", a PUT's answer)%n", status.keys(), status.bytes(),
                status.bytes() / status.keys());
    }
}
