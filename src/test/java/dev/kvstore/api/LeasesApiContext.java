package dev.kvstore.api;

import static io.restassured.RestAssured.given;

import dev.kvstore.ApiTest;
import dev.kvstore.KvProperties;
import dev.kvstore.ops.StoreMetrics;
import dev.kvstore.store.FaultInjectingStorage;
import dev.kvstore.store.WalKeyValueStore;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * The one service the lease and idempotency API tests share (one Spring context of their own, since its store runs
 * on a disk the tests can hold): tokens for two writers, a writer limited to {@code tenant/}, a reader and an admin;
 * at most 300 idempotency records; and a disk whose forces a test can hold, behind the engine's I/O seam, so that a
 * request stays in flight as long as the test wants.
 */
@ApiTest(properties = {
        "spring.main.allow-bean-definition-overriding=true",
        "kv.security.tokens[0].name=alice", "kv.security.tokens[0].token=" + LeasesApiContext.ALICE,
        "kv.security.tokens[0].role=write",
        "kv.security.tokens[1].name=bob", "kv.security.tokens[1].token=" + LeasesApiContext.BOB,
        "kv.security.tokens[1].role=write",
        "kv.security.tokens[2].name=tenant", "kv.security.tokens[2].token=" + LeasesApiContext.TENANT,
        "kv.security.tokens[2].role=write", "kv.security.tokens[2].prefix=tenant/",
        "kv.security.tokens[3].name=reader", "kv.security.tokens[3].token=" + LeasesApiContext.READER,
        "kv.security.tokens[3].role=read",
        "kv.security.tokens[4].name=admin", "kv.security.tokens[4].token=" + LeasesApiContext.ADMIN,
        "kv.security.tokens[4].role=admin",
        "kv.idempotency.max-keys=" + LeasesApiContext.MAX_KEYS})
@Import(LeasesApiContext.HeldDisk.class)
abstract class LeasesApiContext {

    static final String ALICE = "alice-token-0123456789";
    static final String BOB = "bob-token-0123456789ab";
    static final String TENANT = "tenant-token-012345678";
    static final String READER = "reader-token-012345678";
    static final String ADMIN = "admin-token-0123456789";
    static final int MAX_KEYS = 300;

    static final FaultInjectingStorage DISK = new FaultInjectingStorage();

    @TestConfiguration
    static class HeldDisk {
        @Bean(destroyMethod = "close")
        WalKeyValueStore walKeyValueStore(KvProperties properties, StoreMetrics metrics) throws IOException {
            return DISK.openStore(properties.toStoreOptions(metrics));
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    WalKeyValueStore store;

    RequestSpecification as(String token) {
        return given().port(port).urlEncodingEnabled(false).header("Authorization", "Bearer " + token);
    }

    RequestSpecification alice() {
        return as(ALICE);
    }
}
