package dev.kvstore.security;

import dev.kvstore.ApiTest;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An {@link ApiTest} with bearer tokens configured, one of each kind, shared by the tests that need tokens: a
 * reader with a name, a writer configured by its hash only (as a config file would keep it), an admin, and a
 * writer scoped to the prefix {@code team-a/}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ApiTest(properties = {
        "kv.security.tokens[0].name=ci-reader",
        "kv.security.tokens[0].token=" + TokenApiTest.READER,
        "kv.security.tokens[0].role=read",
        "kv.security.tokens[1].sha256=" + TokenApiTest.WRITER_SHA256,
        "kv.security.tokens[1].role=write",
        "kv.security.tokens[2].token=" + TokenApiTest.ADMIN,
        "kv.security.tokens[2].role=admin",
        "kv.security.tokens[3].token=" + TokenApiTest.SCOPED,
        "kv.security.tokens[3].role=write",
        "kv.security.tokens[3].prefix=team-a/"})
public @interface TokenApiTest {

    String READER = "reader-token-0123456789";
    String WRITER = "writer-token-0123456789";
    /** {@code printf %s writer-token-0123456789 | sha256sum}; a wrong one would fail every WRITE row of the matrix. */
    String WRITER_SHA256 = "1caf5ddb6778770019772a6363b8cc194d1e3c145d8de3fc2570091710c3771e";
    String ADMIN = "admin-token-0123456789ab";
    String SCOPED = "scoped-token-0123456789";
}
