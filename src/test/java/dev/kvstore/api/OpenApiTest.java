package dev.kvstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;

import io.restassured.path.json.JsonPath;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OpenApiTest {

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void dataDir(DynamicPropertyRegistry registry) {
        registry.add("kv.data-dir", dataDir::toString);
    }

    @LocalServerPort
    int port;

    private JsonPath doc() {
        return given().port(port).get("/v3/api-docs").then().statusCode(200).extract().jsonPath();
    }

    @Test
    void describesTheThreeOperationsOnAKeyTemplate() {
        JsonPath doc = doc();
        Map<String, Object> paths = doc.getMap("paths");
        assertThat(paths).containsOnlyKeys("/keys/{key}", "/admin/compaction", "/admin/snapshot");
        Map<String, Object> ops = doc.getMap("paths.'/keys/{key}'");
        assertThat(ops).containsOnlyKeys("get", "put", "delete");
        for (String op : List.of("get", "put", "delete")) {
            String base = "paths.'/keys/{key}'." + op;
            assertThat(doc.getList(base + ".parameters.name")).containsExactly("key");
            assertThat(doc.getList(base + ".parameters.in")).containsExactly("path");
            assertThat(doc.getMap(base + ".responses")).containsKeys("400");
        }
        assertThat(doc.getMap("paths.'/keys/{key}'.put.responses")).containsKeys("200", "201", "400", "413", "415",
                "503");
        assertThat(doc.getMap("paths.'/keys/{key}'.get.responses")).containsKeys("200", "404");
        assertThat(doc.getMap("paths.'/keys/{key}'.delete.responses")).containsKeys("204", "404", "503");
        assertThat(doc.getString("paths.'/keys/{key}'.put.responses.'400'.content.keySet()[0]"))
                .isEqualTo("application/problem+json");
    }

    @Test
    void everyErrorResponseHasAProblemExampleOfItsOwnStatus() {
        JsonPath doc = doc();
        int checked = 0;
        for (String op : List.of("get", "put", "delete")) {
            Map<String, Map<String, Object>> responses = doc.getMap("paths.'/keys/{key}'." + op + ".responses");
            for (String code : responses.keySet()) {
                if (code.startsWith("2")) {
                    continue;
                }
                String content = "paths.'/keys/{key}'." + op + ".responses.'" + code + "'.content.'application/problem+json'";
                assertThat(doc.getString(content + ".schema.$ref")).isEqualTo("#/components/schemas/Problem");
                if (code.equals("401") || code.equals("403")) {
                    checked++;
                    continue;
                }
                // One unnamed example is rendered as "example".
                Map<String, Object> example = doc.getMap(content + ".example");
                assertThat(example).as(op + " " + code).isNotNull();
                assertThat(example.get("status")).as(op + " " + code).isEqualTo(Integer.parseInt(code));
                assertThat((String) example.get("detail")).as(op + " " + code).isNotBlank();
                checked++;
            }
        }
        assertThat(checked).isEqualTo(15);
    }

    @Test
    void documentsTheAdminOperationsAndEachOfTheirErrors() {
        JsonPath doc = doc();
        assertThat(doc.getMap("paths.'/admin/compaction'")).containsOnlyKeys("post");
        assertThat(doc.getMap("paths.'/admin/snapshot'")).containsOnlyKeys("get");
        assertThat(doc.getMap("paths.'/admin/compaction'.post.responses"))
                .containsOnlyKeys("200", "401", "403", "409", "503", "507");
        assertThat(doc.getMap("paths.'/admin/snapshot'.get.responses"))
                .containsOnlyKeys("200", "401", "403", "503", "507");
        assertThat(doc.getMap("paths.'/admin/compaction'.post.responses.'200'.content.'application/json'.example"))
                .containsKeys("bytesBefore", "bytesAfter", "durationMs", "pauseMs");
        assertThat(doc.getMap("paths.'/admin/snapshot'.get.responses.'200'.headers")).containsKey("Repr-Digest");
        assertThat(doc.getString("paths.'/admin/snapshot'.get.responses.'200'.content.keySet()[0]"))
                .isEqualTo("application/octet-stream");
        for (String path : List.of("'/admin/compaction'.post", "'/admin/snapshot'.get")) {
            Map<String, Object> responses = doc.getMap("paths." + path + ".responses");
            for (String code : responses.keySet()) {
                if (code.startsWith("2") || code.equals("401") || code.equals("403")) {
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
        String key = "try/it out ü";
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
