package dev.kvstore.security;

/**
 * Who is calling: the name of the token they showed (never the token itself), its role, and the key prefix it is
 * limited to, or {@code null}.
 */
public record Caller(String name, Role role, String prefix) implements dev.kvstore.api.KeyScope {

    /** The caller when no token is configured: a loopback client, or anyone with protected mode off. */
    static final Caller LOCAL = new Caller("local", Role.ADMIN, null);

    @Override
    public boolean mayUseKey(String key) {
        return prefix == null || key.startsWith(prefix);
    }
}
