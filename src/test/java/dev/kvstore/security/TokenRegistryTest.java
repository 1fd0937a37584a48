package dev.kvstore.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kvstore.KvProperties;
import dev.kvstore.KvProperties.Role;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenRegistryTest {

    private static final String SECRET = "s3cret-token-value-42";

    @Test
    void knowsClearAndHashedTokensAndNothingElse() {
        String hash = HexFormat.of().formatHex(TokenRegistry.sha256("another-secret-token-99"));
        TokenRegistry r = new TokenRegistry(List.of(
                new KvProperties.Token("ops", SECRET, null, Role.ADMIN, null),
                new KvProperties.Token(null, null, hash.toUpperCase(), Role.READ, "app/")));

        assertThat(r.authenticate(SECRET)).isEqualTo(new Caller("ops", Role.ADMIN, null));
        assertThat(r.authenticate("another-secret-token-99")).isEqualTo(new Caller("token-1", Role.READ, "app/"));
        assertThat(r.authenticate(SECRET + " ")).isNull();
        assertThat(r.authenticate("")).isNull();
        assertThat(r.isEmpty()).isFalse();
    }

    @Test
    void rolesIncludeTheOnesBelow() {
        assertThat(Role.ADMIN.includes(Role.WRITE)).isTrue();
        assertThat(Role.WRITE.includes(Role.READ)).isTrue();
        assertThat(Role.READ.includes(Role.WRITE)).isFalse();
    }

    @Test
    void badConfigurationIsRefusedWithoutRepeatingTheSecret() {
        List<List<KvProperties.Token>> bad = List.of(
                List.of(new KvProperties.Token(null, "short-" + "x", null, Role.READ, null)),
                List.of(new KvProperties.Token(null, SECRET, "ab".repeat(32), Role.READ, null)),
                List.of(new KvProperties.Token(null, null, null, Role.READ, null)),
                List.of(new KvProperties.Token(null, SECRET, null, null, null)),
                List.of(new KvProperties.Token(null, null, SECRET, Role.READ, null)),
                List.of(new KvProperties.Token(null, SECRET, null, Role.READ, null),
                        new KvProperties.Token(null, SECRET, null, Role.ADMIN, null)));
        for (List<KvProperties.Token> tokens : bad) {
            assertThatThrownBy(() -> new TokenRegistry(tokens)).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("kv.security.tokens[")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET).doesNotContain("short-x"));
        }
    }

    @Test
    void theConfiguredTokenNeverShowsInItsToString() {
        assertThat(new KvProperties.Token("n", SECRET, null, Role.READ, null).toString()).doesNotContain(SECRET)
                .contains("****");
    }
}
