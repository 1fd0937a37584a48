package dev.kvstore.security;

import dev.kvstore.KvProperties.Role;

/**
 * Who is calling: the name of the token they showed (never the token itself), its role, and the key prefix it is
 * limited to, or {@code null}. The security filter puts it on the request ({@link Access#caller}).
 */
public record Caller(String name, Role role, String prefix) {

    /** The caller when no token is configured: a loopback client, or anyone with protected mode off. */
    static final Caller LOCAL = new Caller("local", Role.ADMIN, null);

    static final String ATTRIBUTE = Caller.class.getName();

    /** Whether the token reaches {@code key} (or, for a listing, every key under the prefix {@code key}). */
    public boolean mayUseKey(String key) {
        return prefix == null || key.startsWith(prefix);
    }
}
