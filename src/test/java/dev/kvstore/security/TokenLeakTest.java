package dev.kvstore.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.ApiTest;
import io.restassured.response.Response;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * No token, right or wrong, ever shows up in the logs, in an error, or in what the actuator shows: the endpoints
 * exposed as shipped, each actually answered, and {@code env} and {@code configprops} too, as an operator might
 * expose them with their values shown.
 */
@ExtendWith(OutputCaptureExtension.class)
class TokenLeakTest {

    static final String ADMIN = "leak-check-admin-9f8e7d6c";
    static final String READER = "leak-check-reader-1a2b3c4d";
    static final String WRONG = "leak-check-wrong-5e6f7a8b";
    static final String HASHED = "leak-check-hashed-0a1b2c3d";
    static final String HASH = java.util.HexFormat.of().formatHex(TokenRegistry.sha256(HASHED));

    /**
     * Each configuration here starts its own context, whose start-up log the test reads: the tokens and the log
     * level are this class's own.
     */
    static void tokens(DynamicPropertyRegistry r) {
        r.add("kv.security.tokens[0].token", () -> ADMIN);
        r.add("kv.security.tokens[0].role", () -> "admin");
        r.add("kv.security.tokens[1].token", () -> READER);
        r.add("kv.security.tokens[1].role", () -> "read");
        r.add("kv.security.tokens[2].sha256", () -> HASH);
        r.add("kv.security.tokens[2].role", () -> "write");
        r.add("logging.level.org.springframework.security", () -> "DEBUG");
    }

    @Nested
    @ApiTest
    class AsShipped {

        @DynamicPropertySource
        static void config(DynamicPropertyRegistry r) {
            tokens(r);
        }

        @LocalServerPort
        int port;

        @Test
        void tokensNeverAppearInLogsErrorsOrActuatorOutput(CapturedOutput output) {
            // What each probe answers the admin: the exposed endpoints with their content, the others not at all.
            Map<String, Integer> expected = new LinkedHashMap<>();
            expected.put("/keys/k", 404);
            expected.put("/actuator/health", 200);
            expected.put("/actuator/metrics", 200);
            expected.put("/actuator/info", 200);
            expected.put("/actuator/prometheus", 200);
            expected.put("/actuator/env", 404);
            expected.put("/actuator/configprops", 404);
            expected.put("/nope", 404);
            expected.put("/keys/", 400);
            expected.put("/keys/" + "k".repeat(1100), 400);
            StringBuilder bodies = new StringBuilder();
            for (String token : new String[] {ADMIN, READER, WRONG, HASHED, HASH}) {
                expected.forEach((path, status) -> {
                    Response r = given().port(port).urlEncodingEnabled(false)
                            .header("Authorization", "Bearer " + token).get(path);
                    if (token.equals(ADMIN)) {
                        assertThat(r.statusCode()).as(path).isEqualTo(status);
                    }
                    bodies.append(r.asString()).append(r.headers().toString());
                });
                bodies.append(given().port(port).header("Authorization", "Bearer " + token)
                        .contentType("application/json").body("{bad json").put("/keys/k").then().extract().asString());
            }
            assertThat(bodies.toString()).contains("kv_operations_total").contains("\"status\":\"UP\"")
                    .contains("\"names\":[").contains("\"build\":");
            assertNoToken(bodies.toString());
            assertNoToken(output.getAll());
            assertThat(output.getAll()).contains("Bearer tokens required")
                    .doesNotContain("generated security password");
        }
    }

    @Nested
    @ApiTest(properties = {
            "management.endpoints.web.exposure.include=health,info,metrics,prometheus,env,configprops",
            "management.endpoint.env.show-values=always", "management.endpoint.configprops.show-values=always"})
    class WithEnvAndConfigpropsExposed {

        @DynamicPropertySource
        static void config(DynamicPropertyRegistry r) {
            tokens(r);
        }

        @LocalServerPort
        int port;

        @Value("${kv.data-dir}")
        String dataDir;

        @Test
        void theirValuesAreShownButNotTheTokens(CapturedOutput output) {
            String env = given().port(port).header("Authorization", "Bearer " + ADMIN).get("/actuator/env").then()
                    .statusCode(200).extract().asString();
            String configprops = given().port(port).header("Authorization", "Bearer " + ADMIN)
                    .get("/actuator/configprops").then().statusCode(200).extract().asString();
            // Values are shown (the data directory is), and the token properties are there, masked.
            assertThat(env).contains(dataDir).contains("kv.security.tokens[0].token")
                    .contains("kv.security.tokens[2].sha256").contains("******");
            assertThat(configprops).contains(dataDir).contains("\"tokens\"")
                    .contains("******");
            assertNoToken(env);
            assertNoToken(configprops);
            assertNoToken(output.getAll());
        }
    }

    static void assertNoToken(String text) {
        assertThat(text).doesNotContain(ADMIN).doesNotContain(READER).doesNotContain(WRONG).doesNotContain(HASHED)
                .doesNotContain(HASH);
    }
}
