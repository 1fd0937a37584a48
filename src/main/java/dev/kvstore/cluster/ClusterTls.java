package dev.kvstore.cluster;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.X509TrustManager;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslProvider;

/**
 * Mutual TLS on the Raft port, like etcd's peer TLS ({@code --peer-cert-file}, {@code --peer-key-file},
 * {@code --peer-trusted-ca-file}, {@code --peer-client-cert-auth}): every node presents its certificate and accepts
 * a connection only from one that presents a certificate issued by a CA of the trust bundle, on the server, client and
 * admin services alike (Ratis serves all three on the one port). A node dialling another also checks that the other's
 * certificate names the host it dialled, as written in {@code kv.cluster.peers}.
 * <p>
 * The files are read and checked once, at start: a file that is missing, unreadable, not PEM, a key that is not the
 * certificate's, a certificate the trust bundle does not vouch for (or expired), or one that does not name this node's
 * own host is refused with a {@link ClusterTlsException} that names the property. New files take effect on restart.
 */
public final class ClusterTls {

    public static final String CERTIFICATE = "kv.cluster.tls.certificate";
    public static final String PRIVATE_KEY = "kv.cluster.tls.private-key";
    public static final String TRUST = "kv.cluster.tls.trust";

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;
    /** A throwaway in-memory key store's password; the key never leaves this process. */
    private static final char[] NO_PASSWORD = new char[0];

    private final List<X509Certificate> chain;
    private final GrpcTlsConfig grpc;

    private ClusterTls(List<X509Certificate> chain, GrpcTlsConfig grpc) {
        this.chain = chain;
        this.grpc = grpc;
    }

    /**
     * Reads and checks the three PEM files.
     *
     * @param certificate this node's certificate, followed by any intermediate CA certificates
     * @param privateKey  its private key, PKCS#8 ({@code BEGIN PRIVATE KEY}), unencrypted
     * @param trust       the CA certificates a member's certificate must be issued by
     * @param selfHost    the host of this node's own address in the peer list, which the other members dial
     * @throws ClusterTlsException naming the property whose file is wrong, and why
     */
    public static ClusterTls load(Path certificate, Path privateKey, Path trust, String selfHost) {
        final List<X509Certificate> chain = certificates(CERTIFICATE, certificate);
        final PrivateKey key = privateKey(privateKey);
        final List<X509Certificate> anchors = certificates(TRUST, trust);
        final X509Certificate leaf = chain.get(0);
        checkKeyMatches(key, leaf.getPublicKey(), certificate, privateKey);
        final X509TrustManager trustManager = trustManager(anchors);
        checkTrusted(trustManager, chain, certificate, trust);
        checkNames(leaf, selfHost, certificate);
        final X509KeyManager keyManager = keyManager(key, chain);
        // The JDK's TLS, not the OpenSSL Ratis bundles: nothing native to unpack into a temporary directory, which a
        // read-only container may not have, and the key manager is asked at every handshake.
        final GrpcTlsConfig grpc = GrpcTlsConfig.newBuilder()
                .setKeyManager(keyManager)
                .setTrustManager(trustManager)
                .setMutualTls(true)
                .setSslProvider(SslProvider.JDK)
                .build();
        return new ClusterTls(List.copyOf(chain), grpc);
    }

    /** What Ratis's gRPC transport needs, for its server, client and admin channels alike. */
    GrpcTlsConfig grpcConfig() {
        return grpc;
    }

    /** This node's certificate, for the log. */
    public String describe() {
        final X509Certificate leaf = chain.get(0);
        return "certificate " + leaf.getSubjectX500Principal().getName() + " issued by "
                + leaf.getIssuerX500Principal().getName() + ", valid until " + leaf.getNotAfter().toInstant();
    }

    /** Whether a peer host is this machine itself, by its literal form (names other than localhost are not resolved). */
    public static boolean isLoopback(String host) {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        final InetAddress address = ipLiteral(host);
        return address != null && address.isLoopbackAddress();
    }

    private static List<X509Certificate> certificates(String property, Path file) {
        final List<X509Certificate> certs = new ArrayList<>();
        try {
            final CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (byte[] der : pem(property, file, "CERTIFICATE")) {
                certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (CertificateException e) {
            throw new ClusterTlsException(property, file, "holds a CERTIFICATE block that is not an X.509 "
                    + "certificate (" + e.getMessage() + ")", e);
        }
        return certs;
    }

    private static PrivateKey privateKey(Path file) {
        final String text = read(PRIVATE_KEY, file);
        final Matcher m = PEM.matcher(text);
        if (!m.find()) {
            throw new ClusterTlsException(PRIVATE_KEY, file, "holds no PEM block; expected -----BEGIN PRIVATE KEY-----",
                    null);
        }
        final String type = m.group(1);
        if (!type.equals("PRIVATE KEY")) {
            throw new ClusterTlsException(PRIVATE_KEY, file, "holds a '" + type + "' block; expected an unencrypted "
                    + "PKCS#8 key, -----BEGIN PRIVATE KEY----- (convert with 'openssl pkcs8 -topk8 -nocrypt -in key.pem'"
                    + ", or set cert-manager's privateKey.encoding: PKCS8)", null);
        }
        final byte[] der = decode(PRIVATE_KEY, file, m.group(2));
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException notThisOne) {
                // try the next algorithm
            }
        }
        throw new ClusterTlsException(PRIVATE_KEY, file, "holds a PKCS#8 key that is neither RSA, EC nor EdDSA",
                null);
    }

    private static List<byte[]> pem(String property, Path file, String wanted) {
        final String text = read(property, file);
        final List<byte[]> blocks = new ArrayList<>();
        final Matcher m = PEM.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(wanted)) {
                blocks.add(decode(property, file, m.group(2)));
            }
        }
        if (blocks.isEmpty()) {
            throw new ClusterTlsException(property, file, "holds no PEM block -----BEGIN " + wanted + "-----", null);
        }
        return blocks;
    }

    private static String read(String property, Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new ClusterTlsException(property, file, "cannot be read (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + ")", e);
        }
    }

    private static byte[] decode(String property, Path file, String base64) {
        try {
            return Base64.getMimeDecoder().decode(base64.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw new ClusterTlsException(property, file, "holds a PEM block that is not valid base64", e);
        }
    }

    /** Signs a few bytes with the key and verifies them with the certificate's public key. */
    private static void checkKeyMatches(PrivateKey key, PublicKey certified, Path certificate, Path privateKey) {
        final byte[] probe = "kv-store key check".getBytes(StandardCharsets.US_ASCII);
        final String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448
        };
        boolean matches;
        try {
            final Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            final byte[] signature = signer.sign();
            final Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certified);
            verifier.update(probe);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            matches = false; // a key of another algorithm than the certificate's
        }
        if (!matches) {
            throw new ClusterTlsException(PRIVATE_KEY, privateKey, "is not the key of the certificate in "
                    + CERTIFICATE + " (" + certificate + ")", null);
        }
    }

    /** The certificate must pass the checks the other members make: issued by a trusted CA, valid now, usable. */
    private static void checkTrusted(X509TrustManager trust, List<X509Certificate> chain, Path certificate,
                                     Path trustFile) {
        final List<String> usages;
        try {
            usages = chain.get(0).getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new ClusterTlsException(CERTIFICATE, certificate, "has an unreadable extended key usage", e);
        }
        if (usages != null && !(usages.contains(SERVER_AUTH) && usages.contains(CLIENT_AUTH))) {
            throw new ClusterTlsException(CERTIFICATE, certificate, "must allow both serverAuth and clientAuth "
                    + "(extended key usage): a node serves its peers and dials them with the same certificate", null);
        }
        final String algorithm = chain.get(0).getPublicKey().getAlgorithm();
        try {
            trust.checkServerTrusted(chain.toArray(X509Certificate[]::new), "UNKNOWN");
            trust.checkClientTrusted(chain.toArray(X509Certificate[]::new), algorithm);
        } catch (CertificateException e) {
            throw new ClusterTlsException(CERTIFICATE, certificate, "is not accepted by the CAs in " + TRUST + " ("
                    + trustFile + "): " + e.getMessage(), e);
        }
    }

    /** The other members dial this node by its host in the peer list and check the certificate names it. */
    private static void checkNames(X509Certificate leaf, String host, Path certificate) {
        final List<String> names = new ArrayList<>();
        try {
            final Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    final int kind = (Integer) san.get(0);
                    if (kind == SAN_DNS || kind == SAN_IP) {
                        names.add((kind == SAN_DNS ? "DNS:" : "IP:") + san.get(1));
                        if (kind == SAN_DNS ? dnsMatches((String) san.get(1), host) : ipMatches((String) san.get(1),
                                host)) {
                            return;
                        }
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new ClusterTlsException(CERTIFICATE, certificate, "has an unreadable subject alternative name", e);
        }
        throw new ClusterTlsException(CERTIFICATE, certificate, "does not name this node's host '" + host
                + "' from kv.cluster.peers among its subject alternative names " + names + "; the other members "
                + "check it when they connect", null);
    }

    private static boolean dnsMatches(String pattern, String host) {
        final String p = pattern.toLowerCase(Locale.ROOT);
        final String h = host.toLowerCase(Locale.ROOT);
        if (p.startsWith("*.")) {
            final int dot = h.indexOf('.');
            return dot > 0 && h.substring(dot).equals(p.substring(1));
        }
        return p.equals(h);
    }

    private static boolean ipMatches(String san, String host) {
        final InetAddress a = ipLiteral(san);
        final InetAddress b = ipLiteral(host);
        return a != null && a.equals(b);
    }

    /** The address an IP literal denotes, or null for a name (never resolved). */
    private static InetAddress ipLiteral(String host) {
        final String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!h.matches("[0-9.]+") && !h.contains(":")) {
            return null;
        }
        try {
            return InetAddress.getByName(h); // a literal: no lookup
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static X509TrustManager trustManager(List<X509Certificate> anchors) {
        try {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < anchors.size(); i++) {
                store.setCertificateEntry("ca-" + i, anchors.get(i));
            }
            final TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(store);
            return (X509TrustManager) factory.getTrustManagers()[0];
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("the JDK could not build a trust manager", e);
        }
    }

    private static X509KeyManager keyManager(PrivateKey key, List<X509Certificate> chain) {
        try {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("node", key, NO_PASSWORD, chain.toArray(X509Certificate[]::new));
            final KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, NO_PASSWORD);
            return (X509KeyManager) factory.getKeyManagers()[0];
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("the JDK could not build a key manager", e);
        }
    }
}
