package dev.kvstore.security;

import java.util.List;

/** What a token may do; each role includes the ones before it. */
public enum Role {
    /** GET of keys (and listing). */
    READ,
    /** READ, plus PUT, DELETE, batches and increments. */
    WRITE,
    /** WRITE, plus {@code /admin/**} and the actuator endpoints besides the probes. */
    ADMIN;

    public boolean includes(Role other) {
        return ordinal() >= other.ordinal();
    }

    /** The Spring Security authorities of this role and of every role it includes. */
    List<String> authorities() {
        return java.util.Arrays.stream(values()).filter(this::includes)
                .map(r -> "ROLE_" + r.name()).toList();
    }

    /** {@link #authorities()} as Spring Security's objects, made once: every request needs them. */
    List<org.springframework.security.core.GrantedAuthority> grantedAuthorities() {
        return GRANTED.get(this);
    }

    private static final java.util.Map<Role, List<org.springframework.security.core.GrantedAuthority>> GRANTED =
            java.util.Arrays.stream(values()).collect(java.util.stream.Collectors.toUnmodifiableMap(r -> r,
                    r -> org.springframework.security.core.authority.AuthorityUtils.createAuthorityList(
                            r.authorities())));
}
