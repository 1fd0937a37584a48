package dev.kvstore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.cluster.TestCertificates;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar in cluster mode with mutual TLS on the Raft port, configured as Kubernetes does: environment
 * variables naming the files of a mounted secret ({@code tls.crt}, {@code tls.key}, {@code ca.crt}, read-only). It
 * serves; its Raft port completes a handshake only with a certificate of our CA; and a wrong file, or peers off
 * loopback without TLS, stop the start with a message naming the property and no stack trace.
 */
class ClusterTlsIT {

    private static final Duration START = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void aNodeWithMutualTlsServesAndItsRaftPortWantsOurCertificate() throws Exception {
        DockerfileSpec spec = DockerfileSpec.read(Path.of("Dockerfile"));
        Path jar = Path.of(System.getProperty("kv.jar", "target/kv-store.jar"));
        TestCertificates.Authority ours = TestCertificates.shared().ours();
        Path secret = secret("secret", ours.certificate(), ours.privateKey(), ours.trust());
        int raftPort = ServiceProcess.freePort();
        Map<String, String> env = tlsEnv(secret, "solo=127.0.0.1:" + raftPort);

        Path out = dir.resolve("tls.log");
        try (ServiceProcess node = ServiceProcess.start(spec, jar, Files.createDirectories(dir.resolve("data")), out,
                "", env)) {
            node.awaitReady(START);
            putUntilCommitted(node, "/keys/tls", "{\"type\":\"string\",\"value\":\"over mTLS\"}");
            assertThat(node.get("/keys/tls").body()).contains("over mTLS");
            assertThat(node.log()).contains("uses mutual TLS").contains("CN=kv-test-ca");

            X509Certificate served = handshake(raftPort, ours.trust(), ours.certificate(), ours.privateKey());
            assertThat(served.getSubjectX500Principal().getName()).isEqualTo("CN=node");
            assertThat(refusedHandshake(raftPort, ours.trust(), ours.certificate(), ours.privateKey()))
                    .as("our certificate: the server answers the preface").isFalse();
            assertThat(refusedHandshake(raftPort, ours.trust(), null, null)).as("no client certificate").isTrue();
            TestCertificates.Authority stranger = TestCertificates.shared().stranger();
            assertThat(refusedHandshake(raftPort, ours.trust(), stranger.certificate(), stranger.privateKey()))
                    .as("another CA's client certificate").isTrue();
            assertThat(node.get("/keys/tls").statusCode()).as("still serving").isEqualTo(200);
        }

        // Two refused starts, side by side: each exits once its context fails.
        Path wrongKey = secret("wrong-key", ours.certificate(), TestCertificates.shared().stranger().privateKey(),
                ours.trust());
        CompletableFuture<String> refusedKey = refusedStart(spec, jar, "wrong-key",
                tlsEnv(wrongKey, "solo=127.0.0.1:" + ServiceProcess.freePort()));
        CompletableFuture<String> refusedPlain = refusedStart(spec, jar, "no-tls", Map.of("KV_CLUSTER_ENABLED",
                "true", "KV_CLUSTER_NODE_ID", "n1", "KV_CLUSTER_PEERS", "n1=192.0.2.1:9090,n2=192.0.2.2:9090"));
        assertThat(refusedKey.get()).contains("KV_CLUSTER_TLS_PRIVATE_KEY")
                .contains("kv.cluster.tls.private-key (" + wrongKey.resolve("tls.key") + ") is not the key of the"
                        + " certificate");
        assertThat(refusedPlain.get()).contains("kv.cluster.tls.enabled=false")
                .contains("KV_CLUSTER_TLS_CERTIFICATE");
    }

    /**
     * PUTs until the write is acknowledged: on a loaded machine the first write after readiness may outlast the
     * operation timeout, which is a 503 cluster-unavailable whose outcome is unknown; repeating the PUT is safe.
     */
    private static void putUntilCommitted(ServiceProcess node, String path, String json) throws Exception {
        long deadline = System.nanoTime() + START.toNanos();
        for (int attempt = 1; ; attempt++) {
            java.net.http.HttpResponse<String> r = node.put(path, json);
            if (r.statusCode() == 200 || r.statusCode() == 201) {
                System.out.printf("first write over mutual TLS acknowledged at attempt %d%n", attempt);
                return;
            }
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(r.body()).contains("cluster-unavailable");
            assertThat(System.nanoTime()).as("acknowledged within " + START + ": " + r.body()).isLessThan(deadline);
        }
    }

    /** The files as a Kubernetes TLS secret mounts them: read-only, named tls.crt, tls.key and ca.crt. */
    private Path secret(String name, Path certificate, Path key, Path trust) throws Exception {
        Path secret = Files.createDirectories(dir.resolve(name));
        Files.copy(certificate, secret.resolve("tls.crt"));
        Files.copy(key, secret.resolve("tls.key"));
        Files.copy(trust, secret.resolve("ca.crt"));
        for (String f : new String[] {"tls.crt", "tls.key", "ca.crt"}) {
            Files.setPosixFilePermissions(secret.resolve(f), PosixFilePermissions.fromString("r--------"));
        }
        return secret;
    }

    private static Map<String, String> tlsEnv(Path secret, String peers) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KV_CLUSTER_ENABLED", "true");
        env.put("KV_CLUSTER_NODE_ID", peers.substring(0, peers.indexOf('=')));
        env.put("KV_CLUSTER_PEERS", peers);
        env.put("KV_CLUSTER_TLS_CERTIFICATE", secret.resolve("tls.crt").toString());
        env.put("KV_CLUSTER_TLS_PRIVATE_KEY", secret.resolve("tls.key").toString());
        env.put("KV_CLUSTER_TLS_TRUST", secret.resolve("ca.crt").toString());
        return env;
    }

    /** Starts the jar, which must exit on its own, non-zero, with a failure analysis and no stack trace. */
    private CompletableFuture<String> refusedStart(DockerfileSpec spec, Path jar, String name,
                                                   Map<String, String> env) {
        return CompletableFuture.supplyAsync(() -> {
            try (ServiceProcess p = ServiceProcess.start(spec, jar,
                    Files.createDirectories(dir.resolve(name + "-data")), dir.resolve(name + ".log"), "", env)) {
                int exit = p.awaitExit(START);
                String log = p.log();
                assertThat(exit).as(log).isNotZero();
                assertThat(log).as(log).contains("APPLICATION FAILED TO START").doesNotContain("\tat ");
                return log;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static X509Certificate handshake(int port, Path trust, Path certificate, Path key) throws Exception {
        try (SSLSocket socket = socket(port, trust, certificate, key)) {
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    /**
     * Whether the server refuses the connection. In TLS 1.3 the client's side of the handshake may finish before the
     * server has checked the client's certificate; the refusal then arrives at the first read.
     */
    private static boolean refusedHandshake(int port, Path trust, Path certificate, Path key) throws Exception {
        try (SSLSocket socket = socket(port, trust, certificate, key)) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            // The HTTP/2 preface a gRPC client sends first.
            socket.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes());
            socket.getOutputStream().flush();
            return socket.getInputStream().read() == -1;
        } catch (SSLException refused) {
            return true;
        } catch (java.net.SocketException reset) {
            return true;
        }
    }

    private static SSLSocket socket(int port, Path trust, Path certificate, Path key) throws Exception {
        KeyStore trustStore = KeyStore.getInstance("PKCS12");
        trustStore.load(null, null);
        trustStore.setCertificateEntry("ca", certificate(trust));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trustStore);
        KeyManagerFactory kmf = null;
        if (certificate != null) {
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            String pem = Files.readString(key).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            keyStore.setKeyEntry("me", KeyFactory.getInstance("EC").generatePrivate(
                    new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem))), new char[0],
                    new Certificate[] {certificate(certificate)});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore, new char[0]);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
        SSLParameters params = socket.getSSLParameters();
        params.setApplicationProtocols(new String[] {"h2"});
        socket.setSSLParameters(params);
        return socket;
    }

    private static X509Certificate certificate(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
