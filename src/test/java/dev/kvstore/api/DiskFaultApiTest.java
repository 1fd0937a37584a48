package dev.kvstore.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.kvstore.ApiTest;
import dev.kvstore.KvProperties;
import dev.kvstore.ops.StoreMetrics;
import dev.kvstore.store.FaultInjectingStorage;
import dev.kvstore.store.WalKeyValueStore;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * A disk that fills up under a running service: the failing PUT gets 503 problem+json, nothing of it is visible,
 * later writes get 503 too while the disk stays full, reads go on, and health turns DOWN. The store runs on the real
 * file system with a fault switched on behind the engine's I/O seam.
 */
@ApiTest(properties = "spring.main.allow-bean-definition-overriding=true")
@Import(DiskFaultApiTest.FaultyDisk.class)
class DiskFaultApiTest {

    static final FaultInjectingStorage DISK = new FaultInjectingStorage();

    @TestConfiguration
    static class FaultyDisk {
        @Bean(destroyMethod = "close")
        WalKeyValueStore walKeyValueStore(KvProperties properties, StoreMetrics metrics) throws IOException {
            return DISK.openStore(properties.toStoreOptions(metrics));
        }
    }

    @LocalServerPort
    int port;

    @Test
    void aFullDiskGives503KeepsReadsAndTurnsHealthDown() {
        String json = "{\"type\":\"string\",\"value\":\"v\"}";
        given().port(port).contentType("application/json").body(json).put("/keys/before").then().statusCode(201);

        DISK.failWrites("No space left on device");

        given().port(port).contentType("application/json").body(json).put("/keys/during").then()
                .statusCode(503)
                .contentType(containsString("application/problem+json"))
                .body("type", equalTo("urn:kv-store:problem:store-unavailable"))
                .body("detail", containsString("No space left on device"))
                .body("detail", containsString("nothing of it was written or applied"));
        given().port(port).get("/keys/during").then().statusCode(404);
        given().port(port).get("/keys/before").then().statusCode(200).body("value", equalTo("v"));
        given().port(port).delete("/keys/before").then().statusCode(503)
                .contentType(containsString("application/problem+json"));
        given().port(port).get("/keys/before").then().statusCode(200);

        given().port(port).get("/actuator/health").then().statusCode(503)
                .body("status", equalTo("DOWN"))
                .body("components.wal.status", equalTo("DOWN"))
                .body("components.wal.details.writable", equalTo(false))
                .body("components.wal.details.failure", containsString("No space left on device"));
        given().port(port).get("/actuator/prometheus").then().statusCode(200)
                .body(containsString("kv_operations_total{op=\"set\",outcome=\"failed\"}"))
                .body(containsString("kv_wal_writable 0.0"));
    }
}
