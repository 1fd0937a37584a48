package dev.kvstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.cluster.ClusterConfig;
import dev.kvstore.cluster.TestCertificates;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.validation.autoconfigure.ValidationAutoConfiguration;
import org.springframework.context.annotation.Configuration;

/**
 * {@code kv.cluster.tls.*}: a Raft port other machines reach needs TLS or an explicit opt-out; once TLS is on, all
 * three files are required; given, they make the node's TLS.
 */
class ClusterTlsPropertiesTest {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(KvProperties.class)
    static class Props {
    }

    private static final String REMOTE_PEERS = "kv.cluster.peers=n1=10.0.0.1:9090,n2=10.0.0.2:9090,n3=10.0.0.3:9090";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ValidationAutoConfiguration.class))
            .withUserConfiguration(Props.class)
            .withPropertyValues("kv.cluster.enabled=true", "kv.cluster.node-id=n1");

    @Test
    void peersOnOtherMachinesWithoutTlsRefuseToStartSayingWhatToSet() {
        runner.withPropertyValues(REMOTE_PEERS).run(ctx -> assertThat(ctx).hasFailed().getFailure()
                .rootCause().hasMessageContaining("kv.cluster.tls.certificate")
                .hasMessageContaining("kv.cluster.tls.enabled=false"));
    }

    @Test
    void anExplicitOptOutRunsInPlainText() {
        runner.withPropertyValues(REMOTE_PEERS, "kv.cluster.tls.enabled=false").run(ctx -> {
            KvProperties p = ctx.getBean(KvProperties.class);
            assertThat(p.cluster().tls().on()).isFalse();
            assertThat(p.cluster().toClusterConfig(Path.of("data"), 1 << 20).tls()).isNull();
        });
    }

    @Test
    void loopbackPeersNeedNoTls() {
        runner.withPropertyValues("kv.cluster.peers=n1=127.0.0.1:9090,n2=localhost:9091,n3=[::1]:9092")
                .run(ctx -> assertThat(ctx).hasNotFailed());
    }

    @Test
    void onceTlsIsOnAllThreeFilesAreRequired() {
        runner.withPropertyValues(REMOTE_PEERS, "kv.cluster.tls.enabled=true").run(ctx -> assertThat(ctx)
                .hasFailed().getFailure().rootCause().hasMessageContaining("all required"));
        runner.withPropertyValues(REMOTE_PEERS, "kv.cluster.tls.certificate=/etc/kv/tls.crt").run(ctx ->
                assertThat(ctx).hasFailed().getFailure().rootCause().hasMessageContaining("all required"));
    }

    @Test
    void theFilesMakeTheNodesTls() {
        TestCertificates.Authority ours = TestCertificates.shared().ours();
        runner.withPropertyValues("kv.cluster.peers=n1=127.0.0.1:9090",
                "kv.cluster.tls.certificate=" + ours.certificate(), "kv.cluster.tls.private-key=" + ours.privateKey(),
                "kv.cluster.tls.trust=" + ours.trust()).run(ctx -> {
                    KvProperties p = ctx.getBean(KvProperties.class);
                    ClusterConfig config = p.cluster().toClusterConfig(Path.of("data"), 1 << 20);
                    assertThat(config.tls()).isNotNull();
                    assertThat(config.tls().describe()).contains("CN=kv-test-ca");
                });
    }
}
