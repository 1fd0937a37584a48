package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Raft port's TLS files are checked at start, and each kind of wrong file is refused naming its property. */
class ClusterTlsTest {

    private final TestCertificates.Authority ours = TestCertificates.shared().ours();
    private final TestCertificates.Authority stranger = TestCertificates.shared().stranger();

    @Test
    void matchingFilesLoad() {
        final ClusterTls tls = ClusterTls.load(ours.certificate(), ours.privateKey(), ours.trust(), "127.0.0.1");

        assertThat(tls.describe()).contains("CN=node").contains("CN=kv-test-ca");
        assertThat(ClusterTls.load(ours.certificate(), ours.privateKey(), ours.trust(), "localhost")).isNotNull();
    }

    @Test
    void aMissingFileIsNamedByItsProperty(@TempDir Path dir) {
        final Path missing = dir.resolve("nope.pem");

        refused(missing, ours.privateKey(), ours.trust(), "127.0.0.1", ClusterTls.CERTIFICATE, "cannot be read");
        refused(ours.certificate(), missing, ours.trust(), "127.0.0.1", ClusterTls.PRIVATE_KEY, "cannot be read");
        refused(ours.certificate(), ours.privateKey(), missing, "127.0.0.1", ClusterTls.TRUST, "cannot be read");
    }

    @Test
    void aFileWithoutPemIsRefused(@TempDir Path dir) throws Exception {
        final Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate\n");

        refused(junk, ours.privateKey(), ours.trust(), "127.0.0.1", ClusterTls.CERTIFICATE, "no PEM block");
        refused(ours.certificate(), junk, ours.trust(), "127.0.0.1", ClusterTls.PRIVATE_KEY, "no PEM block");
        refused(ours.certificate(), ours.privateKey(), junk, "127.0.0.1", ClusterTls.TRUST, "no PEM block");
        // The key given where the certificate belongs, and the reverse.
        refused(ours.privateKey(), ours.privateKey(), ours.trust(), "127.0.0.1", ClusterTls.CERTIFICATE,
                "BEGIN CERTIFICATE");
        refused(ours.certificate(), ours.certificate(), ours.trust(), "127.0.0.1", ClusterTls.PRIVATE_KEY,
                "'CERTIFICATE' block");
    }

    @Test
    void aKeyInAnotherEncodingIsRefusedWithTheConversion(@TempDir Path dir) throws Exception {
        final Path pkcs1 = Files.writeString(dir.resolve("rsa.key"),
                TestCertificates.pem("RSA PRIVATE KEY", new byte[] {48, 3, 2, 1, 0}));

        refused(ours.certificate(), pkcs1, ours.trust(), "127.0.0.1", ClusterTls.PRIVATE_KEY, "openssl pkcs8");
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefused() {
        refused(ours.certificate(), stranger.privateKey(), ours.trust(), "127.0.0.1", ClusterTls.PRIVATE_KEY,
                "is not the key of the certificate");
    }

    @Test
    void aCertificateFromAnotherCaIsRefused() {
        refused(stranger.certificate(), stranger.privateKey(), ours.trust(), "127.0.0.1", ClusterTls.CERTIFICATE,
                "is not accepted by the CAs in " + ClusterTls.TRUST);
    }

    @Test
    void anExpiredCertificateIsRefused() {
        refused(ours.expiredCertificate(), ours.privateKey(), ours.trust(), "127.0.0.1", ClusterTls.CERTIFICATE,
                "expired");
    }

    @Test
    void aCertificateThatCannotDialItsPeersIsRefused() {
        refused(ours.serverOnlyCertificate(), ours.privateKey(), ours.trust(), "127.0.0.1", ClusterTls.CERTIFICATE,
                "clientAuth");
    }

    @Test
    void aCertificateThatDoesNotNameThisNodesHostIsRefused() {
        refused(ours.certificate(), ours.privateKey(), ours.trust(), "kv-1.kv-headless", ClusterTls.CERTIFICATE,
                "does not name this node's host 'kv-1.kv-headless'");
        refused(ours.certificate(), ours.privateKey(), ours.trust(), "10.0.0.7", ClusterTls.CERTIFICATE,
                "IP:127.0.0.1");
    }

    @Test
    void onlyLoopbackLiteralsAndLocalhostCountAsLoopback() {
        assertThat(ClusterTls.isLoopback("127.0.0.1")).isTrue();
        assertThat(ClusterTls.isLoopback("127.3.2.1")).isTrue();
        assertThat(ClusterTls.isLoopback("::1")).isTrue();
        assertThat(ClusterTls.isLoopback("LOCALHOST")).isTrue();
        assertThat(ClusterTls.isLoopback("10.0.0.1")).isFalse();
        assertThat(ClusterTls.isLoopback("kv1")).isFalse();
        assertThat(ClusterTls.isLoopback("127.0.0.1.example.com")).isFalse();
    }

    private static void refused(Path certificate, Path key, Path trust, String host, String property,
                                String reason) {
        assertThatThrownBy(() -> ClusterTls.load(certificate, key, trust, host))
                .isInstanceOfSatisfying(ClusterTlsException.class, e -> assertThat(e.property()).isEqualTo(property))
                .hasMessageStartingWith(property + " (")
                .hasMessageContaining(reason);
    }
}
