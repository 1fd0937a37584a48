package dev.kvstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.store.StoreObserver;
import dev.kvstore.store.StoreOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;

/** The engine's settings of issue 12: the write timeout and the set-aside copies kept. */
class EnginePropertiesTest {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(KvProperties.class)
    static class Props {
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
            .withUserConfiguration(Props.class);

    @Test
    void defaultsMatchTheReadmeAndTheEngine() {
        runner.run(ctx -> {
            StoreOptions o = ctx.getBean(KvProperties.class).toStoreOptions(StoreObserver.NONE);
            assertThat(o.writeTimeout()).isEqualTo(Duration.ofSeconds(30)).isEqualTo(StoreOptions.DEFAULT_WRITE_TIMEOUT);
            assertThat(o.keepCopies()).isEqualTo(5).isEqualTo(StoreOptions.DEFAULT_KEEP_COPIES);
            assertThat(o.keepCopiesBytes()).isEqualTo(256L << 20).isEqualTo(StoreOptions.DEFAULT_KEEP_COPIES_BYTES);
        });
    }

    @Test
    void bindsThem() {
        runner.withPropertyValues("kv.wal.write-timeout=5s", "kv.recovery.keep-copies=2",
                "kv.recovery.keep-copies-size=10MB").run(ctx -> {
                    StoreOptions o = ctx.getBean(KvProperties.class).toStoreOptions(StoreObserver.NONE);
                    assertThat(o.writeTimeout()).isEqualTo(Duration.ofSeconds(5));
                    assertThat(o.keepCopies()).isEqualTo(2);
                    assertThat(o.keepCopiesBytes()).isEqualTo(10L << 20);
                });
    }

    @Test
    void refusesValuesOutOfRange() {
        for (String bad : new String[] {"kv.wal.write-timeout=0s", "kv.recovery.keep-copies=-1",
                "kv.recovery.keep-copies-size=-1B"}) {
            runner.withPropertyValues(bad).run(ctx -> assertThat(ctx).as(bad).hasFailed());
        }
    }
}
