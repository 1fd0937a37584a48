package dev.kvstore.ops;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import dev.kvstore.ApiTest;
import dev.kvstore.KeyPrefix;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;

@ApiTest
class ActuatorTest {

    @Value("${kv.data-dir}")
    Path dataDir;

    @LocalServerPort
    int port;

    @KeyPrefix
    String own;

    @Test
    void walHealthShowsTheLogAndTheLastRecovery() throws Exception {
        given().port(port).contentType("application/json").body("{\"type\":\"integer\",\"value\":1}")
                .put("/keys/" + own + "health-probe").then().statusCode(201);

        long logSize = java.nio.file.Files.size(dataDir.resolve("kvstore.log"));
        given().port(port).get("/actuator/health").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("components.wal.status", equalTo("UP"))
                .body("components.wal.details.log", equalTo(dataDir.resolve("kvstore.log").toAbsolutePath().toString()))
                .body("components.wal.details.logBytes", equalTo((int) logSize))
                .body("components.wal.details.liveKeys", org.hamcrest.Matchers.greaterThanOrEqualTo(1))
                .body("components.wal.details.sync", equalTo("always"))
                .body("components.wal.details.writable", equalTo(true))
                .body("components.wal.details.lastRecovery.framesReplayed", equalTo(0))
                .body("components.wal.details.lastRecovery.bytesCut", equalTo(0))
                .body("components.wal.details.lastRecovery.durationMs", notNullValue())
                .body("components.diskSpace.details.path", equalTo(dataDir.toString()));
    }

    @Test
    void probesAreUp() {
        given().port(port).get("/actuator/health/liveness").then().statusCode(200).body("status", equalTo("UP"));
        given().port(port).get("/actuator/health/readiness").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void prometheusCarriesTheStoreMetrics() {
        given().port(port).contentType("application/json").body("{\"type\":\"integer\",\"value\":1}")
                .put("/keys/" + own + "metrics-probe").then().statusCode(201);
        given().port(port).get("/keys/" + own + "metrics-probe").then().statusCode(200);
        given().port(port).get("/keys/" + own + "metrics-absent").then().statusCode(404);

        given().port(port).get("/actuator/prometheus").then().statusCode(200)
                .body(containsString("kv_operations_total{op=\"set\",outcome=\"created\"}"))
                .body(containsString("kv_operations_total{op=\"get\",outcome=\"hit\"}"))
                .body(containsString("kv_operations_total{op=\"get\",outcome=\"miss\"}"))
                .body(containsString("kv_wal_force_seconds_bucket{outcome=\"ok\",le="))
                .body(containsString("kv_wal_group_writes_bucket"))
                .body(containsString("kv_wal_log_bytes "))
                .body(containsString("kv_keys "))
                .body(containsString("kv_revision "))
                .body(containsString("kv_wal_writable 1.0"));
    }

    @Test
    void onlyHealthInfoMetricsAndPrometheusAreExposed() {
        given().port(port).get("/actuator").then().statusCode(200)
                .body("_links.keySet()", org.hamcrest.Matchers.containsInAnyOrder("self", "health", "health-path",
                        "info", "metrics", "metrics-requiredMetricName", "prometheus"));
        given().port(port).get("/actuator/env").then().statusCode(404);
        given().port(port).get("/actuator/info").then().statusCode(200).body("build.artifact", equalTo("kv-store"));
    }
}
