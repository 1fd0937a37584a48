package dev.kvstore.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.ApiTest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * TLS through a Spring Boot SSL bundle, with a key pair made by {@code keytool} when the test starts: HTTPS
 * works, and plain HTTP on the same port is refused and changes nothing.
 */
@ApiTest
class TlsTest {

    private static final String PASSWORD = "test-only-keystore-password";

    @TempDir
    static Path dir;

    @DynamicPropertySource
    static void tls(DynamicPropertyRegistry r) throws Exception {
        Path keystore = dir.resolve("server.p12");
        generateKeyPair(keystore);
        r.add("server.ssl.bundle", () -> "server");
        r.add("spring.ssl.bundle.jks.server.keystore.location", () -> "file:" + keystore);
        r.add("spring.ssl.bundle.jks.server.keystore.password", () -> PASSWORD);
        r.add("spring.ssl.bundle.jks.server.keystore.type", () -> "PKCS12");
    }

    private static void generateKeyPair(Path keystore) throws IOException, InterruptedException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", "server",
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }

    @LocalServerPort
    int port;

    private HttpClient https() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
            trust.load(in, PASSWORD.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ssl).build();
    }

    @Test
    void httpsWorksAndPlainHttpIsRefused() throws Exception {
        HttpClient https = https();
        HttpResponse<String> ready = https.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port
                + "/actuator/health/readiness")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).isEqualTo(200);
        HttpResponse<String> put = https.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port
                        + "/keys/over-tls")).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"type\":\"string\",\"value\":\"secret\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(201);

        HttpClient plain = HttpClient.newHttpClient();
        HttpResponse<String> refused = plain.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/keys/over-plain-http")).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"type\":\"string\",\"value\":\"leaked\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).doesNotContain("over-plain-http");
        HttpResponse<String> readBack = https.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port
                + "/keys/over-plain-http")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(readBack.statusCode()).isEqualTo(404);
    }
}
