package dev.kvstore;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.ops.StoreMetrics;
import dev.kvstore.store.FaultInjectingStorage;
import dev.kvstore.store.WalKeyValueStore;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The exit status SIGTERM ends the process with ({@link KvStoreApplication#stop}), which {@code GracefulShutdownIT}
 * expects to be 0: it is 0 only when the store stopped without a failure, and 1 after a failed force of the log.
 */
class ExitStatusTest {

    static final FaultInjectingStorage DISK = new FaultInjectingStorage();
    static final String VALUE = "{\"type\":\"integer\",\"value\":1}";

    @TempDir
    Path dataDir;

    @Test
    void zeroWhenTheStoreStoppedWithoutAFailure() {
        ConfigurableApplicationContext app = TestApps.start(dataDir.resolve("clean"));
        given().port(TestApps.port(app)).contentType("application/json").body(VALUE).put("/keys/k").then()
                .statusCode(201);
        assertThat(KvStoreApplication.stop(app)).isZero();
        assertThat(app.isActive()).isFalse();
    }

    @Test
    void oneWhenTheLogHadFailed() {
        ConfigurableApplicationContext app = new SpringApplicationBuilder(KvStoreApplication.class, FaultyDisk.class)
                .properties("spring.main.allow-bean-definition-overriding=true")
                .run("--server.port=0", "--kv.data-dir=" + dataDir.resolve("failed"));
        int port = TestApps.port(app);
        given().port(port).contentType("application/json").body(VALUE).put("/keys/before").then().statusCode(201);
        DISK.failForces("Input/output error");
        given().port(port).contentType("application/json").body(VALUE).put("/keys/during").then().statusCode(503);
        assertThat(KvStoreApplication.stop(app)).isEqualTo(1);
        assertThat(app.isActive()).isFalse();
    }

    @Configuration(proxyBeanMethods = false)
    static class FaultyDisk {
        @Bean(destroyMethod = "")
        WalKeyValueStore walKeyValueStore(KvProperties properties, StoreMetrics metrics) throws IOException {
            return DISK.openStore(properties.toStoreOptions(metrics));
        }
    }
}
