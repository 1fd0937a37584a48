package dev.kvstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * {@code PATCH /keys/{key}} with {@code {"increment": n}} over a real port: the step's JSON token decides its type,
 * integers never wrap, every refusal writes nothing, and concurrent increments are each applied exactly once.
 */
@ApiTest
class IncrementApiTest {

    @LocalServerPort
    int port;

    @KeyPrefix
    String own;

    private RequestSpecification http() {
        return given().port(port).urlEncodingEnabled(false);
    }

    private Response patch(String key, String json) {
        return http().contentType("application/json").body(json).patch("/keys/" + key);
    }

    private Response put(String key, String type, String value) {
        return http().contentType("application/json").body("{\"type\":\"" + type + "\",\"value\":" + value + "}")
                .put("/keys/" + key);
    }

    private static String entry(String key, String type, String value, long revision, long createRevision) {
        return "{\"key\":\"" + key + "\",\"type\":\"" + type + "\",\"value\":" + value + ",\"revision\":" + revision
                + ",\"createRevision\":" + createRevision + "}";
    }

    /** Creates {@code key} and returns the revision that created it. */
    private long create(String key, String type, String value) {
        Response r = put(key, type, value);
        r.then().statusCode(201);
        return r.jsonPath().getLong("revision");
    }

    /** Writes a fresh key and returns its revision: the counter's next value, to see that nothing moved it. */
    private long nextRevision() {
        return create(own + "probe-" + System.nanoTime(), "integer", "0");
    }

    private void assertCurrent(String key, String type, String value, long revision, long createRevision) {
        assertThat(http().get("/keys/" + key).then().statusCode(200).extract().asString())
                .isEqualTo(entry(key, type, value, revision, createRevision));
    }

    private static void assertConflict(Response r, String slug, long currentRevision) {
        r.then().statusCode(409).contentType("application/problem+json")
                .body("type", equalTo("urn:kv-store:problem:" + slug), "status", equalTo(409));
        assertThat(r.asString()).containsPattern("\"currentRevision\":" + currentRevision + "[,}]");
    }

    // ---- a missing key ----

    @Test
    void anIntegerStepOnAMissingKeyCreatesAnIntegerWith201() {
        Response r = patch(own + "inc-new-int", "{\"increment\":5}");
        long c = r.jsonPath().getLong("revision");
        r.then().statusCode(201).header("Location", endsWith("/keys/" + own + "inc-new-int"))
                .header("ETag", "\"" + c + "\"");
        assertThat(r.asString()).isEqualTo(entry(own + "inc-new-int", "integer", "5", c, c));
        assertCurrent(own + "inc-new-int", "integer", "5", c, c);
    }

    @Test
    void aFractionalStepOnAMissingKeyCreatesAFloat() {
        Response r = patch(own + "inc-new-float", "{\"increment\":2.5}");
        long c = r.jsonPath().getLong("revision");
        r.then().statusCode(201).header("Location", endsWith("/keys/" + own + "inc-new-float"));
        assertThat(r.asString()).isEqualTo(entry(own + "inc-new-float", "float", "2.5", c, c));
    }

    @Test
    void aStepWithAnExponentOrAFractionIsAFloatEvenWhenWhole() {
        Response r = patch(own + "inc-new-exp", "{\"increment\":1e2}");
        r.then().statusCode(201).body("type", equalTo("float"));
        long c = r.jsonPath().getLong("revision");
        assertThat(r.asString()).isEqualTo(entry(own + "inc-new-exp", "float", "100.0", c, c));
        patch(own + "inc-new-whole", "{\"increment\":3.0}").then().statusCode(201).body("type", equalTo("float"));
    }

    @Test
    void theLargestAndSmallestIntegerStepsAreTaken() {
        Response max = patch(own + "inc-step-max", "{\"increment\":9223372036854775807}");
        max.then().statusCode(201);
        assertThat(max.asString()).contains("\"type\":\"integer\",\"value\":9223372036854775807,");
        Response min = patch(own + "inc-step-min", "{\"increment\":-9223372036854775808}");
        min.then().statusCode(201);
        assertThat(min.asString()).contains("\"type\":\"integer\",\"value\":-9223372036854775808,");
    }

    // ---- integers ----

    @Test
    void anIntegerStepOnAnIntegerAnswers200WithTheSum() {
        long c = create(own + "inc-int", "integer", "40");
        Response r = patch(own + "inc-int", "{\"increment\":2}");
        r.then().statusCode(200).header("Location", nullValue()).header("ETag", "\"" + (c + 1) + "\"");
        assertThat(r.asString()).isEqualTo(entry(own + "inc-int", "integer", "42", c + 1, c));
        Response down = patch(own + "inc-int", "{\"increment\":-50}");
        down.then().statusCode(200);
        assertThat(down.asString()).isEqualTo(entry(own + "inc-int", "integer", "-8", c + 2, c));
        assertCurrent(own + "inc-int", "integer", "-8", c + 2, c);
    }

    @Test
    void aFractionalStepOnAnIntegerIs409TypeMismatchAndWritesNothing() {
        long c = create(own + "inc-mismatch", "integer", "7");
        assertConflict(patch(own + "inc-mismatch", "{\"increment\":0.5}"), "type-mismatch", c);
        assertConflict(patch(own + "inc-mismatch", "{\"increment\":1.0}"), "type-mismatch", c);
        assertCurrent(own + "inc-mismatch", "integer", "7", c, c);
        assertThat(nextRevision()).isEqualTo(c + 1);
    }

    @Test
    void goingPastLongMaxValueIs409OverflowAndWritesNothing() {
        long c = create(own + "inc-overflow", "integer", "9223372036854775807");
        Response r = patch(own + "inc-overflow", "{\"increment\":1}");
        assertConflict(r, "overflow", c);
        r.then().body("title", equalTo("Overflow"));
        assertCurrent(own + "inc-overflow", "integer", "9223372036854775807", c, c);
        assertThat(nextRevision()).isEqualTo(c + 1);
    }

    @Test
    void goingPastLongMinValueIs409OverflowAndWritesNothing() {
        long c = create(own + "inc-underflow", "integer", "-9223372036854775807");
        patch(own + "inc-underflow", "{\"increment\":-1}").then().statusCode(200)
                .body("value", equalTo(Long.MIN_VALUE));
        assertConflict(patch(own + "inc-underflow", "{\"increment\":-1}"), "overflow", c + 1);
        assertConflict(patch(own + "inc-underflow", "{\"increment\":-9223372036854775808}"), "overflow", c + 1);
        assertCurrent(own + "inc-underflow", "integer", "-9223372036854775808", c + 1, c);
        assertThat(nextRevision()).isEqualTo(c + 2);
    }

    // ---- strings and floats ----

    @Test
    void aStringIs409NotANumberAndIsLeftAlone() {
        Response created = put(own + "inc-string", "string", "\"7\"");
        created.then().statusCode(201);
        long c = created.jsonPath().getLong("revision");
        assertConflict(patch(own + "inc-string", "{\"increment\":1}"), "not-a-number", c);
        assertConflict(patch(own + "inc-string", "{\"increment\":1.5}"), "not-a-number", c);
        assertCurrent(own + "inc-string", "string", "\"7\"", c, c);
        assertThat(nextRevision()).isEqualTo(c + 1);
    }

    @Test
    void anIntegerOrFloatStepOnAFloatGivesAFloatSum() {
        long c = create(own + "inc-float", "float", "1.5");
        Response r = patch(own + "inc-float", "{\"increment\":2}");
        r.then().statusCode(200);
        assertThat(r.asString()).isEqualTo(entry(own + "inc-float", "float", "3.5", c + 1, c));
        Response f = patch(own + "inc-float", "{\"increment\":0.25}");
        f.then().statusCode(200);
        assertThat(f.asString()).isEqualTo(entry(own + "inc-float", "float", "3.75", c + 2, c));
        assertCurrent(own + "inc-float", "float", "3.75", c + 2, c);
    }

    @Test
    void aFloatSumPastTheLargestFiniteFloatIs409OverflowAndWritesNothing() {
        long c = create(own + "inc-float-overflow", "float", "1.7976931348623157e308");
        assertConflict(patch(own + "inc-float-overflow", "{\"increment\":1e308}"), "overflow", c);
        assertCurrent(own + "inc-float-overflow", "float", "1.7976931348623157E308", c, c);
        assertThat(nextRevision()).isEqualTo(c + 1);
    }

    // ---- bodies ----

    @Test
    void badBodiesAre400AndWriteNothing() {
        long c = create(own + "inc-bad", "integer", "1");
        String[][] bad = {
                {"", "invalid-value"},
                {"{}", "invalid-value"},
                {"[1]", "invalid-value"},
                {"5", "invalid-value"},
                {"{\"increment\":\"5\"}", "invalid-value"},
                {"{\"increment\":null}", "invalid-value"},
                {"{\"increment\":true}", "invalid-value"},
                {"{\"increment\":[1]}", "invalid-value"},
                {"{\"increment\":{\"by\":1}}", "invalid-value"},
                {"{\"increment\":1,\"extra\":2}", "invalid-value"},
                {"{\"step\":1}", "invalid-value"},
                {"{\"increment\":1,\"increment\":2}", "invalid-value"},
                {"{\"increment\":9223372036854775808}", "invalid-value"},
                {"{\"increment\":1e999}", "invalid-value"},
                {"{\"increment\":1", "malformed-json"},
                {"{\"increment\":NaN}", "malformed-json"},
                {"{\"increment\":1} 2", "malformed-json"},
        };
        for (String[] b : bad) {
            patch(own + "inc-bad", b[0]).then().statusCode(400).contentType("application/problem+json")
                    .body("type", equalTo("urn:kv-store:problem:" + b[1]));
        }
        patch(own + "inc-bad-new", "{\"increment\":\"5\"}").then().statusCode(400);
        http().get("/keys/" + own + "inc-bad-new").then().statusCode(404);
        assertCurrent(own + "inc-bad", "integer", "1", c, c);
        assertThat(nextRevision()).isEqualTo(c + 1);
    }

    @Test
    void aPatchThatIsNotJsonIs415() {
        http().contentType("text/plain").body("{\"increment\":1}").patch("/keys/" + own + "inc-415").then()
                .statusCode(415)
                .contentType("application/problem+json");
        http().get("/keys/" + own + "inc-415").then().statusCode(404);
    }

    // ---- concurrency ----

    /**
     * 16 clients increment one key by 1, 1000 times each: the sum is exact and each response shows a different
     * value, so every increment saw the state the one before it left.
     */
    @Test
    void sixteenThousandConcurrentIncrementsAreEachAppliedOnce() throws Exception {
        int threads = 16;
        int perThread = 1000;
        long c = create(own + "inc-concurrent", "integer", "0");
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        URI uri = URI.create("http://localhost:" + port + "/keys/" + own + "inc-concurrent");
        Pattern shape = Pattern.compile("^\\{\"key\":\"" + own + "inc-concurrent\",\"type\":\"integer\""
                + ",\"value\":(\\d+)"
                + ",\"revision\":(\\d+),\"createRevision\":" + c + "}$");
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    HttpRequest request = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                            .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"increment\":1}")).build();
                    for (int i = 0; i < perThread; i++) {
                        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        Matcher m = shape.matcher(r.body());
                        assertThat(m.matches()).as(r.body()).isTrue();
                        long value = Long.parseLong(m.group(1));
                        // Only increments write the key, so its revision follows its value exactly.
                        assertThat(Long.parseLong(m.group(2))).isEqualTo(c + value);
                        assertThat(r.headers().firstValue("ETag")).hasValue("\"" + (c + value) + "\"");
                        assertThat(seen.add(value)).as("two increments answered %d", value).isTrue();
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
        assertThat(seen).hasSize(total);
        assertThat(seen.stream().mapToLong(Long::longValue).min().orElseThrow()).isEqualTo(1);
        assertThat(seen.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(total);
        assertCurrent(own + "inc-concurrent", "integer", Integer.toString(total), c + total, c);
        assertThat(nextRevision()).isEqualTo(c + total + 1);
    }
}
