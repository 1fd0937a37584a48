package dev.kvstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.store.StoreObserver;
import dev.kvstore.store.StoreOptions;
import dev.kvstore.store.SyncMode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;

class KvPropertiesTest {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(KvProperties.class)
    static class Props {
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
            .withUserConfiguration(Props.class);

    @Test
    void defaultsMatchTheReadme() {
        runner.run(ctx -> {
            KvProperties p = ctx.getBean(KvProperties.class);
            StoreOptions o = p.toStoreOptions(StoreObserver.NONE);
            assertThat(o.dataDir().normalize()).isEqualTo(Path.of("data"));
            assertThat(o.sync()).isEqualTo(SyncMode.ALWAYS);
            assertThat(o.syncInterval()).isEqualTo(Duration.ofSeconds(1));
            assertThat(o.magic()).isEqualTo((byte) 0xAA);
            assertThat(o.maxBatchOperations()).isEqualTo(128);
            assertThat(o.maxBatchBytes()).isEqualTo(16 * 1024 * 1024);
            assertThat(p.list().defaultLimit()).isEqualTo(100);
            assertThat(p.list().maxLimit()).isEqualTo(1000);
            assertThat(o.maxKeyBytes()).isEqualTo(1024);
            assertThat(o.maxValueBytes()).isEqualTo(4 * 1024 * 1024);
            assertThat(o.repair()).isFalse();
            assertThat(p.limits().maxRequestBytes()).isEqualTo(8 * 1024 * 1024 + 64 * 1024);
            assertThat(o.compressionMinBytes()).isEqualTo(1024);
        });
    }

    @Test
    void bindsEveryPropertyIncludingHexMagic() {
        runner.withPropertyValues("kv.data-dir=/var/lib/kv", "kv.wal.sync=interval", "kv.wal.sync-interval=250ms",
                "kv.wal.magic=0xBB", "kv.limits.max-key-bytes=64", "kv.batch.max-operations=16",
                "kv.batch.max-size=1MB", "kv.list.default-limit=10", "kv.list.max-limit=50",
                "kv.limits.max-value-size=1MB", "kv.limits.max-request-size=3MB", "kv.recovery.repair=true",
                "kv.compression.min-size=4KB")
                .run(ctx -> {
                    KvProperties p = ctx.getBean(KvProperties.class);
                    StoreOptions o = p.toStoreOptions(StoreObserver.NONE);
                    assertThat(o.dataDir()).isEqualTo(Path.of("/var/lib/kv"));
                    assertThat(o.sync()).isEqualTo(SyncMode.INTERVAL);
                    assertThat(o.syncInterval()).isEqualTo(Duration.ofMillis(250));
                    assertThat(o.magic()).isEqualTo((byte) 0xBB);
                    assertThat(o.maxBatchOperations()).isEqualTo(16);
                    assertThat(o.maxBatchBytes()).isEqualTo(1024 * 1024);
                    assertThat(p.list().defaultLimit()).isEqualTo(10);
                    assertThat(p.list().maxLimit()).isEqualTo(50);
                    assertThat(o.maxKeyBytes()).isEqualTo(64);
                    assertThat(o.maxValueBytes()).isEqualTo(1024 * 1024);
                    assertThat(p.limits().maxRequestBytes()).isEqualTo(3 * 1024 * 1024);
                    assertThat(o.repair()).isTrue();
                    assertThat(o.compressionMinBytes()).isEqualTo(4096);
                });
    }

    @Test
    void compressionCanBeSwitchedOff() {
        runner.withPropertyValues("kv.compression.enabled=false").run(ctx -> assertThat(
                ctx.getBean(KvProperties.class).toStoreOptions(StoreObserver.NONE).compressionMinBytes())
                .isEqualTo(Integer.MAX_VALUE));
    }

    @Test
    void refusesValuesOutOfRange() {
        for (String bad : new String[] {"kv.wal.magic=256", "kv.limits.max-key-bytes=0", "kv.batch.max-operations=0",
                "kv.batch.max-size=2GB", "kv.list.default-limit=2000", "kv.list.max-limit=0",
                "kv.wal.sync=sometimes", "kv.wal.sync-interval=0s", "kv.limits.max-value-size=2GB",
                "kv.limits.max-request-size=0", "kv.compression.min-size=2GB"}) {
            runner.withPropertyValues(bad).run(ctx -> assertThat(ctx).as(bad).hasFailed());
        }
    }
}
