package dev.kvstore.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Throwaway certificates made as an operator would, with the JDK's {@code keytool} (the JDK alone cannot sign a
 * certificate without internal APIs): a CA, and a node certificate it issues for 127.0.0.1 and localhost, in PEM
 * files; and a second, unrelated CA with a node certificate of its own (a stranger's). Made once per JVM, in
 * parallel, and deleted when the JVM exits.
 */
public final class TestCertificates {

    private static final String PASS = "changeit";
    private static TestCertificates shared;

    /** One authority's files: its CA certificate (the trust bundle) and a node's certificate and key it issued. */
    public record Authority(Path trust, Path certificate, Path privateKey, Path serverOnlyCertificate,
                            Path expiredCertificate) {
    }

    private final Authority ours;
    private final Authority stranger;

    private TestCertificates(Authority ours, Authority stranger) {
        this.ours = ours;
        this.stranger = stranger;
    }

    /** The CA the cluster trusts and the certificate its nodes share (all of them run on 127.0.0.1). */
    public Authority ours() {
        return ours;
    }

    /** Another CA and a certificate it issued for the same host: valid, but not ours. */
    public Authority stranger() {
        return stranger;
    }

    public static synchronized TestCertificates shared() {
        if (shared == null) {
            try {
                final Path dir = Files.createTempDirectory("kv-tls-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
                final long t0 = System.nanoTime();
                final CompletableFuture<Authority> ours = CompletableFuture.supplyAsync(
                        () -> authority(dir.resolve("ours"), "kv-test-ca", true));
                final CompletableFuture<Authority> stranger = CompletableFuture.supplyAsync(
                        () -> authority(dir.resolve("stranger"), "stranger-ca", false));
                shared = new TestCertificates(ours.join(), stranger.join());
                System.out.printf("test certificates made with keytool in %d ms%n",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    private static Authority authority(Path dir, String caName, boolean variants) {
        try {
            Files.createDirectories(dir);
            final Path caStore = dir.resolve("ca.p12");
            final Path nodeStore = dir.resolve("node.p12");
            final Path csr = dir.resolve("node.csr");
            final Path certificate = dir.resolve("node.pem");
            final Path serverOnly = dir.resolve("server-only.pem");
            final Path expired = dir.resolve("expired.pem");
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                    "CN=" + caName, "-ext", "bc:c", "-validity", "3", "-keystore", caStore.toString());
            keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                    "CN=node", "-validity", "3", "-keystore", nodeStore.toString());
            keytool("-certreq", "-alias", "node", "-keystore", nodeStore.toString(), "-file", csr.toString());
            final CompletableFuture<Void> good = CompletableFuture.runAsync(() -> sign(caStore, csr, certificate,
                    "serverAuth,clientAuth", "-validity", "2"));
            if (variants) {
                final CompletableFuture<Void> a = CompletableFuture.runAsync(() -> sign(caStore, csr, serverOnly,
                        "serverAuth", "-validity", "2"));
                final CompletableFuture<Void> b = CompletableFuture.runAsync(() -> sign(caStore, csr, expired,
                        "serverAuth,clientAuth", "-startdate", "-3d", "-validity", "1"));
                CompletableFuture.allOf(good, a, b).join();
            } else {
                good.join();
            }
            final Path trust = dir.resolve("ca.pem");
            final Path key = dir.resolve("node.key");
            Files.writeString(trust, pem("CERTIFICATE", load(caStore).getCertificate("ca").getEncoded()));
            final Key privateKey = load(nodeStore).getKey("node", PASS.toCharArray());
            Files.writeString(key, pem("PRIVATE KEY", privateKey.getEncoded()));
            return new Authority(trust, certificate, key, variants ? serverOnly : null, variants ? expired : null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sign(Path caStore, Path csr, Path out, String usages, String... validity) {
        final List<String> args = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore",
                caStore.toString(), "-infile", csr.toString(), "-outfile", out.toString(), "-rfc",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-ext", "EKU=" + usages, "-ext",
                "KU=digitalSignature,keyEncipherment"));
        args.addAll(List.of(validity));
        keytool(args.toArray(String[]::new));
    }

    private static void keytool(String... args) {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASS, "-noprompt"));
        // Each run is a short JVM: start it cheaply.
        command.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Xshare:auto"));
        try {
            final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + command + "\n" + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static KeyStore load(Path store) throws IOException, GeneralSecurityException {
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASS.toCharArray());
        }
        return ks;
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a temporary directory
        }
    }
}
