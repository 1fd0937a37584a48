package dev.kvstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;

import dev.kvstore.problem.ProblemType;
import dev.kvstore.problem.ProblemWriter;
import dev.kvstore.ApiTest;
import dev.kvstore.KeyPrefix;
import io.restassured.path.json.JsonPath;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

@ApiTest
class OpenApiTest {

    @LocalServerPort
    int port;

    @KeyPrefix
    String own;

    private static final List<String> KEY_OPS = List.of("get", "put", "delete", "patch");

    private JsonPath doc() {
        return given().port(port).get("/v3/api-docs").then().statusCode(200).extract().jsonPath();
    }

    @Test
    void describesTheOperationsOnKeysListingsAndBatches() {
        JsonPath doc = doc();
        Map<String, Object> paths = doc.getMap("paths");
        assertThat(paths).containsOnlyKeys("/keys/{key}", "/keys", "/batch", "/watch", "/leases", "/leases/{id}",
                "/leases/{id}/keepalive", "/admin/compaction", "/admin/snapshot");
        Map<String, Object> ops = doc.getMap("paths.'/keys/{key}'");
        assertThat(ops).containsOnlyKeys("get", "put", "delete", "patch");
        for (String op : KEY_OPS) {
            String base = "paths.'/keys/{key}'." + op;
            assertThat(doc.getList(base + ".parameters.findAll { it['in'] == 'path' }.name")).containsExactly("key");
            assertThat(doc.getMap(base + ".responses")).containsKeys("400");
        }
        assertThat(doc.getMap("paths.'/keys/{key}'.put.responses")).containsKeys("200", "201", "400", "412", "413",
                "415", "503");
        assertThat(doc.getMap("paths.'/keys/{key}'.get.responses")).containsKeys("200", "304", "400", "404", "412");
        assertThat(doc.getMap("paths.'/keys/{key}'.delete.responses")).containsKeys("204", "404", "412", "503");
        assertThat(doc.getMap("paths.'/keys/{key}'.patch.responses")).containsKeys("200", "201", "400", "409", "412",
                "413", "415", "503");
        assertThat(doc.getMap("paths.'/keys'")).containsOnlyKeys("get");
        assertThat(doc.getMap("paths.'/batch'")).containsOnlyKeys("post");
        assertThat(doc.getString("paths.'/keys/{key}'.put.responses.'400'.content.keySet()[0]"))
                .isEqualTo("application/problem+json");
    }

    /**
     * Every error of the key, list and batch operations is a Problem with examples of its own status, each the
     * catalogue's example of its type (or about:blank with the status's reason phrase).
     */
    @Test
    void everyErrorResponseHasAProblemExampleOfItsOwnStatus() {
        JsonPath doc = doc();
        Map<String, ProblemType> types = new java.util.HashMap<>();
        for (ProblemType t : ProblemType.values()) {
            types.put(t.uri().toString(), t);
        }
        int checked = 0;
        List<String> operations = new java.util.ArrayList<>(
                KEY_OPS.stream().map(op -> "'/keys/{key}'." + op).toList());
        operations.addAll(List.of("'/keys'.get", "'/batch'.post", "'/leases'.post", "'/leases/{id}'.get",
                "'/leases/{id}'.delete", "'/leases/{id}/keepalive'.post"));
        for (String path : operations) {
            Map<String, Object> responses = doc.getMap("paths." + path + ".responses");
            for (String code : responses.keySet()) {
                if (code.startsWith("2") || code.startsWith("3")) {
                    continue;
                }
                String content = "paths." + path + ".responses.'" + code + "'.content.'application/problem+json'";
                assertThat(doc.getString(content + ".schema.$ref")).as(path + " " + code)
                        .isEqualTo("#/components/schemas/Problem");
                checked++;
                List<Map<String, Object>> examples = examples(doc, content);
                assertThat(examples).as(path + " " + code).isNotEmpty();
                for (Map<String, Object> example : examples) {
                    assertThat(example.get("status")).as(path + " " + code).isEqualTo(Integer.parseInt(code));
                    assertThat((String) example.get("detail")).as(path + " " + code).isNotBlank();
                    ProblemType type = types.get((String) example.get("type"));
                    if (type != null) {
                        assertThat(type.status()).as(path + " " + code + " " + type)
                                .isEqualTo(Integer.parseInt(code));
                        assertThat(example.get("title")).as(path + " " + code).isEqualTo(type.title());
                    } else {
                        assertThat(example.get("type")).as(path + " " + code).isEqualTo("about:blank");
                        assertThat(example.get("title")).isEqualTo(ProblemWriter.reasonPhrase(Integer.parseInt(code)));
                    }
                }
            }
        }
        // Each of the six operations on keys and batches: 400, 401, 403, 421; and its own (GET 404 406 412, PUT 406
        // 409 412 413 415 422 503, DELETE 404 409 412 422 503, PATCH 406 409 412 413 415 422 503, list 406, batch
        // 406 409 412 413 415 422 503). The four on leases: 401, 403, 421; and their own (grant 400 406 409 413 415
        // 422 503, read and keepalive 404 406, revoke 404 503).
        assertThat(checked).isEqualTo(6 * 4 + 3 + 7 + 5 + 7 + 1 + 7 + 4 * 3 + 7 + 2 + 2 + 2);
    }

    @Test
    void documentsPatchAsAnAtomicIncrement() {
        JsonPath doc = doc();
        String patch = "paths.'/keys/{key}'.patch";
        assertThat(doc.getMap(patch + ".responses")).containsKeys("200", "201", "409", "412");
        String body = patch + ".requestBody.content.'application/json'";
        assertThat(doc.getString(body + ".schema.$ref")).isEqualTo("#/components/schemas/IncrementRequest");
        assertThat(doc.getMap(body + ".examples.integer.value")).isEqualTo(Map.of("increment", 1));
        assertThat(((Number) doc.get(body + ".examples.float.value.increment")).doubleValue()).isEqualTo(-0.5);
        assertThat(doc.getString("components.schemas.IncrementRequest.properties.increment.type"))
                .isEqualTo("number");
        assertThat(doc.getList("components.schemas.IncrementRequest.required")).containsExactly("increment");
        String conflict = patch + ".responses.'409'.content.'application/problem+json'.examples";
        assertThat(doc.getMap(conflict)).containsOnlyKeys("not-a-number", "type-mismatch", "overflow",
                "unknown-lease", "idempotency-key-in-flight");
        for (String name : List.of("not-a-number", "type-mismatch", "overflow")) {
            assertThat(doc.getString(conflict + ".'" + name + "'.value.type"))
                    .isEqualTo("urn:kv-store:problem:" + name);
            assertThat(doc.getMap(conflict + ".'" + name + "'.value")).containsKey("currentRevision");
        }
        assertThat(doc.getMap(patch + ".responses.'201'.headers")).containsKeys("ETag", "Location");
    }

    @Test
    void documentsConditionalRequestHeaders() {
        JsonPath doc = doc();
        Map<String, List<String>> expected = Map.of("get", List.of("If-Match", "If-None-Match"),
                "put", List.of("If-Match", "If-None-Match", "Idempotency-Key"),
                "patch", List.of("If-Match", "If-None-Match", "Idempotency-Key"),
                "delete", List.of("If-Match", "Idempotency-Key"));
        expected.forEach((op, headers) -> {
            String base = "paths.'/keys/{key}'." + op;
            assertThat(doc.getList(base + ".parameters.findAll { it['in'] == 'header' }.name")).as(op)
                    .containsExactlyInAnyOrderElementsOf(headers);
            assertThat(doc.getMap(base + ".responses")).as(op).containsKey("412");
            String failed = base + ".responses.'412'.content.'application/problem+json'";
            for (Map<String, Object> example : examples(doc, failed)) {
                assertThat(example).as(op).containsKey("currentRevision");
                assertThat(example.get("type")).isEqualTo("urn:kv-store:problem:precondition-failed");
            }
            assertThat(examples(doc, base + ".responses.'400'.content.'application/problem+json'")).as(op)
                    .anySatisfy(e -> assertThat(e.get("type")).isEqualTo("urn:kv-store:problem:invalid-precondition"));
        });
        String get = "paths.'/keys/{key}'.get";
        assertThat(doc.getString(get + ".parameters.find { it.name == 'If-None-Match' }.description"))
                .contains("304");
        assertThat(doc.getMap(get + ".responses.'304'.headers")).containsKey("ETag");
        assertThat(doc.getMap(get + ".responses.'304'")).doesNotContainKey("content");
    }

    @Test
    void responsesWithAnEntryDocumentTheETag() {
        JsonPath doc = doc();
        for (String response : List.of("get.responses.'200'", "get.responses.'304'", "put.responses.'200'",
                "put.responses.'201'", "patch.responses.'200'", "patch.responses.'201'")) {
            String etag = "paths.'/keys/{key}'." + response + ".headers.ETag";
            assertThat(doc.getString(etag + ".schema.type")).as(response).isEqualTo("string");
            assertThat(doc.getString(etag + ".schema.example")).as(response).matches("\"[0-9]+\"");
            assertThat(doc.getString(etag + ".description")).as(response).isNotBlank();
        }
        for (String response : List.of("get.responses.'200'", "put.responses.'200'", "patch.responses.'200'")) {
            assertThat(examples(doc, "paths.'/keys/{key}'." + response + ".content.'application/json'"))
                    .as(response).isNotEmpty()
                    .allSatisfy(e -> assertThat(e).containsKeys("key", "type", "value", "revision", "createRevision"));
        }
    }

    @Test
    void documentsBothRepresentationsOfTheWatch() {
        JsonPath doc = doc();
        String watch = "paths.'/watch'.get";
        assertThat(doc.getList(watch + ".parameters.name")).containsExactlyInAnyOrder("prefix", "fromRevision",
                "wait", "limit", "Last-Event-ID");
        assertThat(doc.getMap(watch + ".responses.'200'.content")).containsOnlyKeys("application/json",
                "text/event-stream");
        assertThat(doc.getString(watch + ".responses.'200'.content.'application/json'.schema.$ref"))
                .isEqualTo("#/components/schemas/WatchPage");
        assertThat(doc.getMap(watch + ".responses")).containsKeys("200", "400", "401", "403", "410");
        assertThat(examples(doc, watch + ".responses.'410'.content.'application/problem+json'"))
                .singleElement().satisfies(e -> assertThat(e).containsEntry("type", "urn:kv-store:problem:compacted")
                        .containsKey("compactRevision"));
    }

    @Test
    void documentsTheListingQuery() {
        JsonPath doc = doc();
        String list = "paths.'/keys'.get";
        assertThat(doc.getList(list + ".parameters.name")).containsExactlyInAnyOrder("prefix", "limit", "cursor",
                "keysOnly");
        assertThat(doc.getList(list + ".parameters.in")).containsOnly("query");
        String limit = list + ".parameters.find { it.name == 'limit' }.schema";
        assertThat(doc.getInt(limit + ".default")).isEqualTo(100);
        assertThat(doc.getInt(limit + ".maximum")).isEqualTo(1000);
        assertThat(doc.getString(list + ".parameters.find { it.name == 'keysOnly' }.schema.type"))
                .isEqualTo("boolean");
        assertThat(doc.getMap(list + ".responses")).containsKeys("200", "400", "403");
        String ok = list + ".responses.'200'.content.'application/json'";
        assertThat(doc.getString(ok + ".schema.$ref")).isEqualTo("#/components/schemas/KeyPage");
        assertThat(examples(doc, ok)).isNotEmpty()
                .allSatisfy(e -> assertThat(e).containsOnlyKeys("items", "cursor", "next", "revision"));
        assertThat(examples(doc, list + ".responses.'400'.content.'application/problem+json'"))
                .extracting(e -> e.get("type"))
                .contains("urn:kv-store:problem:invalid-query", "urn:kv-store:problem:invalid-cursor");
        assertThat(examples(doc, list + ".responses.'403'.content.'application/problem+json'"))
                .extracting(e -> e.get("type")).contains("urn:kv-store:problem:forbidden");
    }

    @Test
    void documentsTheBatchWithAnExampleForEachResponse() {
        JsonPath doc = doc();
        String batch = "paths.'/batch'.post";
        assertThat(doc.getMap(batch + ".responses")).containsKeys("200", "400", "412", "413");
        String body = batch + ".requestBody.content.'application/json'";
        assertThat(doc.getString(body + ".schema.$ref")).isEqualTo("#/components/schemas/BatchRequest");
        assertThat(doc.getList(body + ".examples.batch.value.operations.op")).containsExactly("set", "set", "delete");
        assertThat(doc.getString("components.schemas.BatchRequest.properties.operations.items.$ref"))
                .isEqualTo("#/components/schemas/BatchOperation");
        assertThat(doc.getMap("components.schemas.BatchOperation.properties")).containsOnlyKeys("op", "key", "type",
                "value", "ifRevision", "ifAbsent", "lease");
        for (String code : List.of("200", "400", "412", "413")) {
            String media = code.equals("200") ? "application/json" : "application/problem+json";
            assertThat(examples(doc, batch + ".responses.'" + code + "'.content.'" + media + "'")).as(code)
                    .isNotEmpty();
        }
        assertThat(doc.getString(batch + ".responses.'200'.content.'application/json'.schema.$ref"))
                .isEqualTo("#/components/schemas/BatchResult");
        Map<String, Object> failed = examples(doc,
                batch + ".responses.'412'.content.'application/problem+json'").get(0);
        assertThat(failed).containsKeys("failedOperation", "results");
        assertThat(examples(doc, batch + ".responses.'413'.content.'application/problem+json'"))
                .extracting(e -> e.get("type")).containsOnly("urn:kv-store:problem:too-large");
    }

    /** The documented batch example, sent to a store where "a" has no value, answers the documented 412 shape. */
    @Test
    void theBatchExampleAnswersAsDocumented() {
        JsonPath doc = doc();
        Map<String, Object> body = doc.getMap("paths.'/batch'.post.requestBody.content.'application/json'"
                + ".examples.batch.value");
        Map<String, Object> documented = examples(doc,
                "paths.'/batch'.post.responses.'412'.content.'application/problem+json'").get(0);
        JsonPath answer = given().port(port).contentType("application/json").body(body).post("/batch").then()
                .statusCode(412).contentType("application/problem+json").extract().jsonPath();
        assertThat(answer.getMap("$")).containsOnlyKeys(documented.keySet());
        assertThat(answer.getInt("failedOperation")).isZero();
        assertThat(answer.getList("results.outcome")).containsExactly("precondition-failed", "aborted", "aborted");
    }

    /** The documented increment examples, and the ETag they answer, work as described. */
    @Test
    void theIncrementExamplesAnswerAsDocumented() {
        JsonPath doc = doc();
        String examples = "paths.'/keys/{key}'.patch.requestBody.content.'application/json'.examples";
        Map<String, Object> integer = doc.getMap(examples + ".integer.value");
        Map<String, Object> fraction = doc.getMap(examples + ".float.value");
        String etag = given().port(port).contentType("application/json").body(integer)
                .patch("/keys/" + own + "try/counter")
                .then().statusCode(201).header("Location", endsWith("/keys/" + own + "try/counter"))
                .body("type", org.hamcrest.Matchers.equalTo("integer")).extract().header("ETag");
        assertThat(etag).matches("\"[0-9]+\"");
        given().port(port).header("If-None-Match", etag).get("/keys/" + own + "try/counter").then().statusCode(304)
                .header("ETag", etag);
        given().port(port).contentType("application/json").body(fraction).patch("/keys/" + own + "try/counter").then()
                .statusCode(409).body("type", org.hamcrest.Matchers.equalTo("urn:kv-store:problem:type-mismatch"))
                .body("currentRevision", org.hamcrest.Matchers.notNullValue());
        given().port(port).header("If-Match", "42").get("/keys/" + own + "try/counter").then().statusCode(400)
                .body("type", org.hamcrest.Matchers.equalTo("urn:kv-store:problem:invalid-precondition"));
    }

    /** A response's examples: one unnamed is rendered as "example", named ones under "examples". */
    private static List<Map<String, Object>> examples(JsonPath doc, String content) {
        Map<String, Object> named = doc.getMap(content + ".examples");
        if (named == null) {
            Map<String, Object> one = doc.getMap(content + ".example");
            return one == null ? List.of() : List.of(one);
        }
        return named.keySet().stream().map(k -> doc.<String, Object>getMap(content + ".examples.'" + k + "'.value"))
                .toList();
    }

    @Test
    void documentsTheAdminOperationsAndEachOfTheirErrors() {
        JsonPath doc = doc();
        assertThat(doc.getMap("paths.'/admin/compaction'")).containsOnlyKeys("post");
        assertThat(doc.getMap("paths.'/admin/snapshot'")).containsOnlyKeys("get");
        assertThat(doc.getMap("paths.'/admin/compaction'.post.responses"))
                .containsOnlyKeys("200", "401", "403", "409", "421", "503", "507");
        assertThat(doc.getMap("paths.'/admin/snapshot'.get.responses"))
                .containsOnlyKeys("200", "401", "403", "421", "503", "507");
        assertThat(doc.getMap("paths.'/admin/compaction'.post.responses.'200'.content.'application/json'.example"))
                .containsKeys("bytesBefore", "bytesAfter", "durationMs", "pauseMs");
        assertThat(doc.getMap("paths.'/admin/snapshot'.get.responses.'200'.headers")).containsKey("Repr-Digest");
        assertThat(doc.getString("paths.'/admin/snapshot'.get.responses.'200'.content.keySet()[0]"))
                .isEqualTo("application/octet-stream");
        for (String path : List.of("'/admin/compaction'.post", "'/admin/snapshot'.get")) {
            Map<String, Object> responses = doc.getMap("paths." + path + ".responses");
            for (String code : responses.keySet()) {
                if (code.startsWith("2")) {
                    continue;
                }
                String content = "paths." + path + ".responses.'" + code + "'.content.'application/problem+json'";
                assertThat(doc.getString(content + ".schema.$ref")).isEqualTo("#/components/schemas/Problem");
                // One unnamed example is rendered as "example", named ones under "examples".
                Map<String, Object> named = doc.getMap(content + ".examples");
                List<Object> statuses = named == null ? List.of(doc.<Object>get(content + ".example.status"))
                        : named.keySet().stream()
                        .map(k -> doc.<Object>get(content + ".examples." + k + ".value.status")).toList();
                assertThat(statuses).as(path + " " + code).isNotEmpty().containsOnly(Integer.parseInt(code));
            }
        }
    }

    /** Answers from filters, not controllers: protected mode's 421 and 403, and the in-flight budget's 503. */
    @Test
    void documentsProtectedModeAndTheInflightBudget() {
        JsonPath doc = doc();
        List<String> operations = List.of("'/keys/{key}'.get", "'/keys/{key}'.put", "'/keys/{key}'.delete",
                "'/keys/{key}'.patch", "'/keys'.get", "'/batch'.post", "'/admin/compaction'.post",
                "'/admin/snapshot'.get");
        for (String op : operations) {
            String responses = "paths." + op + ".responses";
            assertThat(examples(doc, responses + ".'421'.content.'application/problem+json'")).as(op)
                    .extracting(e -> e.get("type")).containsExactly("urn:kv-store:problem:host-not-loopback");
            assertThat(doc.getString(responses + ".'403'.description")).as(op).contains("protected-mode")
                    .contains("cross-site");
        }
        for (String op : List.of("'/keys/{key}'.put", "'/keys/{key}'.patch", "'/batch'.post")) {
            String unavailable = "paths." + op + ".responses.'503'";
            assertThat(doc.getMap(unavailable + ".headers")).as(op).containsKey("Retry-After");
            assertThat(examples(doc, unavailable + ".content.'application/problem+json'")).as(op)
                    .extracting(e -> e.get("type"))
                    .contains("urn:kv-store:problem:overloaded", "urn:kv-store:problem:store-unavailable");
        }
    }

    /** The live document, as the build lints it (.ci/run runs Redocly CLI on it with redocly.yaml). */
    @Test
    void writesTheDocumentForTheLinter() throws Exception {
        String json = given().port(port).get("/v3/api-docs").then().statusCode(200).extract().asString();
        java.nio.file.Path out = java.nio.file.Path.of("target", "openapi.json");
        java.nio.file.Files.createDirectories(out.getParent());
        java.nio.file.Files.writeString(out, json);
        assertThat(JsonPath.from(json).getString("openapi")).startsWith("3.1");
    }

    @Test
    void declaresBearerTokens() {
        JsonPath doc = doc();
        assertThat(doc.getString("components.securitySchemes.bearer.type")).isEqualTo("http");
        assertThat(doc.getString("components.securitySchemes.bearer.scheme")).isEqualTo("bearer");
        assertThat(doc.getList("security.bearer")).isNotNull();
    }

    @Test
    void theBodySchemaIsTypedWithAnExamplePerType() {
        JsonPath doc = doc();
        String put = "paths.'/keys/{key}'.put.requestBody.content.'application/json'";
        assertThat(doc.getString(put + ".schema.$ref")).isEqualTo("#/components/schemas/TypedValue");
        assertThat(doc.getMap(put + ".examples")).containsOnlyKeys("string", "integer", "float");
        assertThat(doc.getList("components.schemas.TypedValue.oneOf.$ref")).containsExactly(
                "#/components/schemas/StringValue", "#/components/schemas/IntegerValue",
                "#/components/schemas/FloatValue");
        assertThat(doc.getString("components.schemas.TypedValue.discriminator.propertyName")).isEqualTo("type");
        assertThat(doc.getString("components.schemas.IntegerValue.properties.value.format")).isEqualTo("int64");
        assertThat(doc.getString("components.schemas.FloatValue.properties.value.format")).isEqualTo("double");
    }

    /**
     * What Swagger UI's "Try it out" does: fill the template with the key encoded by encodeURIComponent (so
     * {@code /} becomes {@code %2F}) and send the documented example body, for each operation.
     */
    @Test
    void tryItOutRequestsBuiltFromTheDocumentWork() {
        JsonPath doc = doc();
        String key = own + "try/it out ü";
        String path = "/keys/{key}".replace("{key}",
                URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20"));
        for (String example : List.of("string", "integer", "float")) {
            Map<String, Object> body = doc.getMap("paths.'/keys/{key}'.put.requestBody.content.'application/json'"
                    + ".examples." + example + ".value");
            given().port(port).urlEncodingEnabled(false).contentType("application/json").body(body).put(path).then()
                    .statusCode(org.hamcrest.Matchers.oneOf(200, 201))
                    .body("key", org.hamcrest.Matchers.equalTo(key))
                    .body("type", org.hamcrest.Matchers.equalTo(example));
            given().port(port).urlEncodingEnabled(false).get(path).then().statusCode(200)
                    .body("type", org.hamcrest.Matchers.equalTo(example));
        }
        given().port(port).urlEncodingEnabled(false).delete(path).then().statusCode(204);
    }

    @Test
    void swaggerUiIsServed() {
        given().port(port).redirects().follow(false).get("/swagger-ui.html").then().statusCode(302)
                .header("Location", endsWith("/swagger-ui/index.html"));
        given().port(port).get("/swagger-ui/index.html").then().statusCode(200)
                .body(containsString("swagger-ui"));
        given().port(port).get("/v3/api-docs/swagger-config").then().statusCode(200)
                .body(containsString("/v3/api-docs"));
    }
}
