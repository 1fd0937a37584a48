package dev.kvstore.security;

import dev.kvstore.KvProperties;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The configured tokens, kept only as SHA-256 hashes. A presented token is hashed and compared with every entry
 * in constant time ({@link MessageDigest#isEqual}), all of them, so that timing tells nothing about any token.
 */
final class TokenRegistry {

    static final int MIN_TOKEN_LENGTH = 16;

    private record Entry(byte[] hash, Caller caller) {
    }

    private final List<Entry> entries = new ArrayList<>();

    TokenRegistry(List<KvProperties.Token> tokens) {
        for (int i = 0; i < tokens.size(); i++) {
            KvProperties.Token t = tokens.get(i);
            String where = "kv.security.tokens[" + i + "]";
            byte[] hash = hashOf(t, where);
            for (Entry e : entries) {
                if (MessageDigest.isEqual(e.hash(), hash)) {
                    throw new IllegalStateException(where + " repeats the token of " + e.caller().name());
                }
            }
            if (t.role() == null) {
                throw new IllegalStateException(where + ".role is missing: read, write or admin");
            }
            String name = t.name() == null || t.name().isBlank() ? "token-" + i : t.name();
            String prefix = t.prefix() == null || t.prefix().isEmpty() ? null : t.prefix();
            entries.add(new Entry(hash, new Caller(name, t.role(), prefix)));
        }
    }

    // The messages name the property, never its value.
    private static byte[] hashOf(KvProperties.Token t, String where) {
        boolean clear = t.token() != null && !t.token().isEmpty();
        boolean hashed = t.sha256() != null && !t.sha256().isEmpty();
        if (clear == hashed) {
            throw new IllegalStateException(where + " needs exactly one of token (the secret) or sha256 (its hash)");
        }
        if (clear) {
            if (t.token().length() < MIN_TOKEN_LENGTH || t.token().isBlank()) {
                throw new IllegalStateException(where + ".token is too short: use at least " + MIN_TOKEN_LENGTH
                        + " random characters");
            }
            return sha256(t.token());
        }
        String hex = t.sha256().trim();
        if (!hex.matches("[0-9a-fA-F]{64}")) {
            throw new IllegalStateException(where + ".sha256 must be 64 hex digits (e.g. from `sha256sum`)");
        }
        return HexFormat.of().parseHex(hex);
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The caller whose token this is, or {@code null}. */
    Caller authenticate(String presented) {
        byte[] hash = sha256(presented);
        Caller found = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(e.hash(), hash)) {
                found = e.caller();
            }
        }
        return found;
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
