package dev.kvstore.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** No token, right or wrong, ever shows up in the logs, in an error, or in what the actuator exposes. */
@ExtendWith(OutputCaptureExtension.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"kv.security.tokens[0].token=" + TokenLeakTest.ADMIN, "kv.security.tokens[0].role=admin",
                "kv.security.tokens[1].token=" + TokenLeakTest.READER, "kv.security.tokens[1].role=read",
                "logging.level.org.springframework.security=DEBUG"})
class TokenLeakTest {

    static final String ADMIN = "leak-check-admin-9f8e7d6c";
    static final String READER = "leak-check-reader-1a2b3c4d";
    static final String WRONG = "leak-check-wrong-5e6f7a8b";

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void config(DynamicPropertyRegistry r) {
        r.add("kv.data-dir", dataDir::toString);
    }

    @LocalServerPort
    int port;

    @Test
    void tokensNeverAppearInLogsErrorsOrActuatorOutput(CapturedOutput output) {
        StringBuilder bodies = new StringBuilder();
        for (String token : new String[] {ADMIN, READER, WRONG}) {
            for (String path : new String[] {"/keys/k", "/actuator/health", "/actuator/metrics", "/actuator/info",
                    "/actuator/prometheus", "/actuator/env", "/actuator/configprops", "/nope", "/keys/",
                    "/keys/" + "k".repeat(1100)}) {
                bodies.append(given().port(port).urlEncodingEnabled(false).header("Authorization", "Bearer " + token)
                        .get(path).then().extract().asString());
            }
            bodies.append(given().port(port).header("Authorization", "Bearer " + token)
                    .contentType("application/json").body("{bad json").put("/keys/k").then().extract().asString());
        }
        assertThat(bodies.toString()).contains("kv_operations_total").doesNotContain(ADMIN)
                .doesNotContain(READER).doesNotContain(WRONG);
        assertThat(output.getAll()).contains("Bearer tokens required").doesNotContain(ADMIN)
                .doesNotContain(READER).doesNotContain(WRONG).doesNotContain("generated security password");
    }
}
