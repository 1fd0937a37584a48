package dev.kvstore.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import dev.kvstore.ApiTest;
import io.restassured.RestAssured;
import io.restassured.config.JsonConfig;
import io.restassured.path.json.config.JsonPathConfig;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The HTTP contract of {@code /keys/{key}}, over a real port, rule by rule. */
@ApiTest(properties = {"kv.limits.max-value-size=64KB", "kv.limits.max-request-size=100KB"})
class KeyApiTest {

    /** The store of this configuration is this class's alone: its tests count the bytes each write adds. */
    @Value("${kv.data-dir}")
    Path dataDir;

    @LocalServerPort
    int port;

    private Path log;

    @BeforeEach
    void setUp() {
        log = dataDir.resolve("kvstore.log");
    }

    /** Paths are sent exactly as written: the tests control the percent-encoding. */
    private RequestSpecification http() {
        return given().port(port).urlEncodingEnabled(false)
                .config(RestAssured.config().jsonConfig(JsonConfig.jsonConfig()
                        .numberReturnType(JsonPathConfig.NumberReturnType.DOUBLE)));
    }

    private Response put(String path, String json) {
        return http().contentType("application/json").body(json).put(path);
    }

    // ---- the three operations ----

    @Test
    void putCreatesWith201AndLocationThenReplacesWith200() {
        put("/keys/api-greeting", "{\"type\":\"string\",\"value\":\"hi\"}").then()
                .statusCode(201)
                .header("Location", endsWith("/keys/api-greeting"))
                .contentType("application/json")
                .body("key", equalTo("api-greeting"), "type", equalTo("string"), "value", equalTo("hi"));
        put("/keys/api-greeting", "{\"type\":\"string\",\"value\":\"hello\"}").then()
                .statusCode(200)
                .header("Location", nullValue())
                .body("value", equalTo("hello"));
        http().get("/keys/api-greeting").then().statusCode(200)
                .body("key", equalTo("api-greeting"), "type", equalTo("string"), "value", equalTo("hello"));
    }

    @Test
    void integersKeepAllSixtyFourBits() {
        put("/keys/i-max", "{\"type\":\"integer\",\"value\":9223372036854775807}").then().statusCode(201);
        put("/keys/i-min", "{\"type\":\"integer\",\"value\":-9223372036854775808}").then().statusCode(201);
        assertBodyIs("/keys/i-max", "{\"key\":\"i-max\",\"type\":\"integer\",\"value\":9223372036854775807}");
        assertBodyIs("/keys/i-min", "{\"key\":\"i-min\",\"type\":\"integer\",\"value\":-9223372036854775808}");
    }

    @Test
    void floatsRoundTripExactly() {
        String[][] cases = {{"-0.0", "-0.0"}, {"5e-324", "4.9E-324"}, {"1e308", "1.0E308"}, {"3", "3.0"},
                {"0.1", "0.1"}, {"-2.5E-3", "-0.0025"}};
        for (String[] c : cases) {
            String key = "f" + Integer.toHexString(c[0].hashCode());
            put("/keys/" + key, "{\"type\":\"float\",\"value\":" + c[0] + "}").then().statusCode(201)
                    .body("type", equalTo("float"));
            assertBodyIs("/keys/" + key, "{\"key\":\"" + key + "\",\"type\":\"float\",\"value\":" + c[1] + "}");
            double sent = Double.parseDouble(c[0]);
            double back = Double.parseDouble(c[1]);
            org.assertj.core.api.Assertions.assertThat(Double.doubleToRawLongBits(back))
                    .isEqualTo(Double.doubleToRawLongBits(sent));
        }
    }

    @Test
    void deleteAnswers204ThenTheKeyIsGoneAndASecondDeleteIs404WithoutWriting() throws Exception {
        put("/keys/doomed", "{\"type\":\"integer\",\"value\":1}").then().statusCode(201);
        http().delete("/keys/doomed").then().statusCode(204).body(equalTo(""));
        http().get("/keys/doomed").then().statusCode(404);
        long size = Files.size(log);
        assertProblem(http().delete("/keys/doomed"), 404, "urn:kv-store:problem:key-not-found");
        org.assertj.core.api.Assertions.assertThat(Files.size(log)).isEqualTo(size);
    }

    @Test
    void getOfAnAbsentKeyIs404Problem() {
        assertProblem(http().get("/keys/no-such-key"), 404, "urn:kv-store:problem:key-not-found")
                .body("detail", containsString("no-such-key"))
                .body("instance", equalTo("/keys/no-such-key"));
    }

    // ---- keys ----

    @Test
    void theKeyIsTheRestOfThePathAndEncodedSlashesAreTheSameKey() {
        put("/keys/a/b/c", "{\"type\":\"string\",\"value\":\"slashes\"}").then().statusCode(201)
                .header("Location", endsWith("/keys/a/b/c")).body("key", equalTo("a/b/c"));
        http().get("/keys/a%2Fb%2Fc").then().statusCode(200).body("key", equalTo("a/b/c"),
                "value", equalTo("slashes"));
        http().get("/keys/a/b%2fc").then().statusCode(200).body("key", equalTo("a/b/c"));
    }

    @Test
    void keysArePercentDecodedExactlyOnceAsUtf8() {
        put("/keys/%D0%BA%D0%BB%D1%8E%D1%87%20%C3%BC%F0%9F%99%82", "{\"type\":\"integer\",\"value\":7}").then()
                .statusCode(201).body("key", equalTo("ключ ü🙂"))
                .header("Location", endsWith("/keys/%D0%BA%D0%BB%D1%8E%D1%87%20%C3%BC%F0%9F%99%82"));
        put("/keys/100%2525", "{\"type\":\"integer\",\"value\":1}").then().statusCode(201)
                .body("key", equalTo("100%25"));
        http().get("/keys/100%25").then().statusCode(404);
        put("/keys/a+b", "{\"type\":\"integer\",\"value\":1}").then().statusCode(201).body("key", equalTo("a+b"));
    }

    @Test
    void anEmptyKeyIs400() {
        assertProblem(put("/keys/", "{\"type\":\"integer\",\"value\":1}"), 400, "urn:kv-store:problem:invalid-key");
        assertProblem(http().get("/keys/"), 400, "urn:kv-store:problem:invalid-key");
        assertProblem(http().delete("/keys/"), 400, "urn:kv-store:problem:invalid-key");
    }

    @Test
    void anOversizedKeyIs400AndNothingIsWritten() throws Exception {
        long size = Files.size(log);
        String longKey = "k".repeat(1025);
        assertProblem(put("/keys/" + longKey, "{\"type\":\"integer\",\"value\":1}"), 400,
                "urn:kv-store:problem:invalid-key").body("detail", containsString("1025"));
        assertProblem(put("/keys/" + "%C3%BC".repeat(513), "{\"type\":\"integer\",\"value\":1}"), 400,
                "urn:kv-store:problem:invalid-key");
        assertProblem(http().get("/keys/" + longKey), 400, "urn:kv-store:problem:invalid-key");
        put("/keys/" + "k".repeat(1024), "{\"type\":\"integer\",\"value\":1}").then().statusCode(201);
        org.assertj.core.api.Assertions.assertThat(Files.size(log)).isEqualTo(size + 36 + 1024 + 8);
    }

    @Test
    void invalidPercentEncodingOrUtf8Is400Problem() throws Exception {
        String[][] requests = {{"GET", "/keys/%zz"}, {"GET", "/keys/abc%4"}, {"PUT", "/keys/%C3%28"},
                {"PUT", "/keys/%FF"}, {"DELETE", "/keys/%E2%82"}, {"GET", "/keys/a%00b"}};
        for (String[] r : requests) {
            RawHttp.Reply reply = RawHttp.send(port, r[0], r[1], "application/json", "{\"type\":\"integer\",\"value\":1}");
            org.assertj.core.api.Assertions.assertThat(reply.status()).as(r[1]).isEqualTo(400);
            org.assertj.core.api.Assertions.assertThat(reply.head()).as(r[1])
                    .containsIgnoringCase("Content-Type: application/problem+json");
            org.assertj.core.api.Assertions.assertThat(reply.body()).as(r[1]).contains("\"status\":400")
                    .contains("\"detail\":");
        }
    }

    // ---- bodies: each refusal is a 4xx problem and changes nothing ----

    @Test
    void malformedBodiesAre400AndChangeNothing() throws Exception {
        put("/keys/stable", "{\"type\":\"string\",\"value\":\"original\"}").then().statusCode(201);
        long size = Files.size(log);
        String[][] bad = {
                {"{\"type\":\"string\",\"value\":", "malformed-json"},
                {"not json", "malformed-json"},
                {"{\"type\":\"string\",\"value\":\"x\"} trailing", "malformed-json"},
                {"", "invalid-value"},
                {"[1,2]", "invalid-value"},
                {"\"just a string\"", "invalid-value"},
                {"{\"type\":\"bool\",\"value\":true}", "invalid-value"},
                {"{\"type\":\"STRING\",\"value\":\"x\"}", "invalid-value"},
                {"{\"value\":\"x\"}", "invalid-value"},
                {"{\"type\":\"string\"}", "invalid-value"},
                {"{\"type\":null,\"value\":\"x\"}", "invalid-value"},
                {"{\"type\":\"string\",\"value\":\"x\",\"extra\":1}", "invalid-value"},
                {"{\"type\":\"string\",\"type\":\"integer\",\"value\":1}", "invalid-value"},
                {"{\"type\":\"string\",\"value\":\"x\",\"key\":\"other\"}", "invalid-value"},
                {"{\"type\":\"integer\",\"value\":9223372036854775808}", "invalid-value"},
                {"{\"type\":\"integer\",\"value\":-9223372036854775809}", "invalid-value"},
                {"{\"type\":\"integer\",\"value\":1.5}", "invalid-value"},
                {"{\"type\":\"integer\",\"value\":1.0}", "invalid-value"},
                {"{\"type\":\"integer\",\"value\":1e3}", "invalid-value"},
                {"{\"type\":\"integer\",\"value\":\"42\"}", "invalid-value"},
                {"{\"type\":\"integer\",\"value\":true}", "invalid-value"},
                {"{\"type\":\"string\",\"value\":42}", "invalid-value"},
                {"{\"type\":\"string\",\"value\":null}", "invalid-value"},
                {"{\"type\":\"string\",\"value\":{\"a\":1}}", "invalid-value"},
                {"{\"type\":\"float\",\"value\":\"3.5\"}", "invalid-value"},
                {"{\"type\":\"float\",\"value\":[3.5]}", "invalid-value"},
                {"{\"type\":\"float\",\"value\":NaN}", "malformed-json"},
                {"{\"type\":\"float\",\"value\":Infinity}", "malformed-json"},
                {"{\"type\":\"float\",\"value\":-Infinity}", "malformed-json"},
                {"{\"type\":\"float\",\"value\":1e999}", "invalid-value"},
                {"{\"type\":\"float\",\"value\":-1e400}", "invalid-value"},
                {"{\"type\":\"string\",\"value\":\"\\ud800\"}", "invalid-value"},
        };
        for (String[] c : bad) {
            assertProblem(put("/keys/stable", c[0]), 400, "urn:kv-store:problem:" + c[1])
                    .body("detail", not(equalTo("")));
        }
        http().get("/keys/stable").then().statusCode(200).body("value", equalTo("original"));
        org.assertj.core.api.Assertions.assertThat(Files.size(log)).isEqualTo(size);
    }

    @Test
    void theBodyMayRepeatTheKeyOfThePath() {
        put("/keys/echo", "{\"key\":\"echo\",\"type\":\"string\",\"value\":\"x\"}").then().statusCode(201);
    }

    @Test
    void aWrongContentTypeIs415() {
        assertProblem(http().contentType("text/plain").body("{\"type\":\"integer\",\"value\":1}").put("/keys/ct"),
                415, null);
        assertProblem(http().body("{\"type\":\"integer\",\"value\":1}".getBytes()).put("/keys/ct"), 415, null);
        http().get("/keys/ct").then().statusCode(404);
    }

    @Test
    void contentTypeParametersAreFine() {
        http().contentType("application/json; charset=utf-8").body("{\"type\":\"integer\",\"value\":1}")
                .put("/keys/charset").then().statusCode(201);
    }

    @Test
    void anOversizedBodyOrValueIs413() throws Exception {
        long size = Files.size(log);
        String big = "x".repeat(110 * 1024);
        assertProblem(put("/keys/big", "{\"type\":\"string\",\"value\":\"" + big + "\"}"), 413,
                "urn:kv-store:problem:too-large").body("detail", containsString("kv.limits.max-request-size"));
        String value = "x".repeat(64 * 1024 + 1);
        assertProblem(put("/keys/big", "{\"type\":\"string\",\"value\":\"" + value + "\"}"), 413,
                "urn:kv-store:problem:too-large").body("detail", containsString("65537"));
        // Text that LZ4 cannot shrink, so that its frame holds it as it is (kv.compression).
        put("/keys/big", "{\"type\":\"string\",\"value\":\"" + incompressible(64 * 1024) + "\"}").then()
                .statusCode(201);
        org.assertj.core.api.Assertions.assertThat(Files.size(log)).isEqualTo(size + 36 + 3 + 64 * 1024);
    }

    /** {@code n} printable ASCII characters drawn with a fixed seed, none that JSON escapes. */
    private static String incompressible(int n) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(13);
        StringBuilder sb = new StringBuilder(n);
        while (sb.length() < n) {
            char c = (char) (0x20 + random.nextInt(0x5F));
            if (c != '"' && c != '\\') {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    @Test
    void aChunkedOversizedBodyIs413() {
        byte[] big = ("{\"type\":\"string\",\"value\":\"" + "y".repeat(200 * 1024) + "\"}").getBytes();
        assertProblem(http().contentType("application/json").body(new java.io.ByteArrayInputStream(big))
                .put("/keys/chunked"), 413, "urn:kv-store:problem:too-large");
    }

    // ---- routes ----

    @Test
    void unknownRoutesAndMethodsAre4xxProblems() {
        assertProblem(http().get("/nothing-here"), 404, null);
        assertProblem(http().get("/keys/"), 400, "urn:kv-store:problem:invalid-key");
        assertProblem(http().post("/keys/x"), 405, null).header("Allow", containsString("PUT"));
        assertProblem(http().get("/batch"), 405, null).header("Allow", containsString("POST"));
    }

    /** The body is {@code json} plus the revisions, which depend on what the other tests wrote before. */
    private void assertBodyIs(String path, String json) {
        org.assertj.core.api.Assertions.assertThat(http().get(path).then().statusCode(200).extract().asString())
                .matches(java.util.regex.Pattern.quote(json.substring(0, json.length() - 1))
                        + ",\"revision\":\\d+,\"createRevision\":\\d+}");
    }

    private static io.restassured.response.ValidatableResponse assertProblem(Response r, int status, String type) {
        var v = r.then().statusCode(status).contentType(containsString("application/problem+json"))
                .body("status", is(status)).body("title", not(equalTo(null)))
                .body("detail", not(equalTo(null)));
        if (type != null) {
            v.body("type", equalTo(type));
        }
        return v;
    }
}
