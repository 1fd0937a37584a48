package dev.kvstore.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/** Every endpoint against every kind of caller, over a real port: what is allowed, and what is refused how. */
@TokenApiTest
class SecurityMatrixTest {

    static final String READER = TokenApiTest.READER;
    /** Configured by its hash only. */
    static final String WRITER = TokenApiTest.WRITER;
    static final String ADMIN = TokenApiTest.ADMIN;
    /** A writer limited to the prefix {@code team-a/}. */
    static final String SCOPED = TokenApiTest.SCOPED;
    static final String UNKNOWN = "unknown-token-0123456789";

    @LocalServerPort
    int port;

    /** Who calls: a token, or none. */
    enum Who {
        ANONYMOUS(null), UNKNOWN_TOKEN(UNKNOWN), READ(READER), WRITE(WRITER), ADMIN_(ADMIN), SCOPED_WRITE(SCOPED);

        final String token;

        Who(String token) {
            this.token = token;
        }
    }

    private record Case(String method, String path, String body, Who who, int status) {
    }

    private final List<String> failures = new ArrayList<>();

    private Response send(Case c) {
        RequestSpecification spec = given().port(port).urlEncodingEnabled(false).redirects().follow(false);
        if (c.who().token != null) {
            spec = spec.header("Authorization", "Bearer " + c.who().token);
        }
        if (c.body() != null) {
            spec = spec.contentType("application/json").body(c.body());
        }
        return spec.request(c.method(), c.path());
    }

    private void expect(String method, String path, String body, Who who, int status) {
        Case c = new Case(method, path, body, who, status);
        Response r = send(c);
        if (r.statusCode() != status) {
            failures.add(String.format("%s %s as %s: %d, expected %d", method, path, who, r.statusCode(), status));
            return;
        }
        if (status == 401 || status == 403) {
            assertThat(r.contentType()).as(c.toString()).startsWith("application/problem+json");
            if (!method.equals("HEAD")) {
                assertThat(r.jsonPath().getInt("status")).isEqualTo(status);
            }
            String challenge = r.header("WWW-Authenticate");
            assertThat(challenge).as(c.toString()).startsWith("Bearer realm=\"kv-store\"");
            if (status == 401 && who == Who.UNKNOWN_TOKEN) {
                assertThat(challenge).contains("error=\"invalid_token\"");
            }
            if (status == 403) {
                assertThat(challenge).contains("error=\"insufficient_scope\"");
            }
        }
    }

    @Test
    void everyEndpointAgainstEveryCaller() {
        String v = "{\"type\":\"integer\",\"value\":1}";
        given().port(port).header("Authorization", "Bearer " + ADMIN).contentType("application/json").body(v)
                .put("/keys/existing").then().statusCode(org.hamcrest.Matchers.oneOf(200, 201));
        given().port(port).header("Authorization", "Bearer " + ADMIN).contentType("application/json").body(v)
                .put("/keys/team-a/existing").then().statusCode(org.hamcrest.Matchers.oneOf(200, 201));

        //                                     ANON  UNKNOWN READ WRITE ADMIN SCOPED
        row("GET", "/keys/existing", null, 401, 401, 200, 200, 200, 403);
        row("GET", "/keys/team-a/existing", null, 401, 401, 200, 200, 200, 200);
        row("HEAD", "/keys/existing", null, 401, 401, 200, 200, 200, 403);
        row("PUT", "/keys/w", v, 401, 401, 403, 201, 201, 403);
        row("PUT", "/keys/team-a/w", v, 401, 401, 403, 201, 201, 201);
        row("DELETE", "/keys/w", null, 401, 401, 403, 204, 204, 403);
        row("DELETE", "/keys/team-a/w", null, 401, 401, 403, 204, 204, 204);
        row("POST", "/keys/existing", null, 401, 401, 403, 405, 405, 403);
        String inc = "{\"increment\":1}";
        row("PATCH", "/keys/counter", inc, 401, 401, 403, 201, 201, 403);
        row("PATCH", "/keys/team-a/counter", inc, 401, 401, 403, 201, 201, 201);
        row("GET", "/keys?prefix=team-a/", null, 401, 401, 200, 200, 200, 200);
        row("GET", "/keys?prefix=team", null, 401, 401, 200, 200, 200, 403);
        row("GET", "/keys", null, 401, 401, 200, 200, 200, 403);
        // Watching (a long poll that answers at once) is reading: a scoped token only under its prefix.
        row("GET", "/watch?prefix=team-a/", null, 401, 401, 200, 200, 200, 200);
        row("GET", "/watch?prefix=team", null, 401, 401, 200, 200, 200, 403);
        row("GET", "/watch?prefix=", null, 401, 401, 200, 200, 200, 403);
        row("GET", "/watch", null, 401, 401, 200, 200, 200, 403);
        row("POST", "/watch", null, 401, 401, 405, 405, 405, 405);
        String setB = "{\"op\":\"set\",\"key\":\"team-a/b\",\"type\":\"integer\",\"value\":1}";
        String inScope = "{\"operations\":[" + setB + "]}";
        String outOfScope = "{\"operations\":[" + setB + ",{\"op\":\"delete\",\"key\":\"nothing\"}]}";
        row("POST", "/batch", inScope, 401, 401, 403, 200, 200, 200);
        row("POST", "/batch", outOfScope, 401, 401, 403, 200, 200, 403);
        row("GET", "/actuator/health/liveness", null, 200, 200, 200, 200, 200, 200);
        row("GET", "/actuator/health/readiness", null, 200, 200, 200, 200, 200, 200);
        row("GET", "/actuator/health", null, 200, 200, 200, 200, 200, 200);
        row("GET", "/actuator/info", null, 401, 401, 403, 403, 200, 403);
        row("GET", "/actuator/metrics", null, 401, 401, 403, 403, 200, 403);
        row("GET", "/actuator/prometheus", null, 401, 401, 403, 403, 200, 403);
        row("GET", "/actuator/env", null, 401, 401, 403, 403, 404, 403);
        row("GET", "/admin/compaction", null, 401, 401, 403, 403, 405, 403);
        row("POST", "/admin/compaction", null, 401, 401, 403, 403, 200, 403);
        row("GET", "/admin/snapshot", null, 401, 401, 403, 403, 200, 403);
        row("GET", "/v3/api-docs", null, 200, 200, 200, 200, 200, 200);
        row("GET", "/swagger-ui/index.html", null, 200, 200, 200, 200, 200, 200);
        row("GET", "/no-such-route", null, 401, 401, 404, 404, 404, 404);
        assertThat(failures).isEmpty();
    }

    private void row(String method, String path, String body, int... statuses) {
        Who[] who = Who.values();
        for (int i = 0; i < who.length; i++) {
            if (method.equals("DELETE") || method.equals("PUT") || method.equals("PATCH")) {
                reset(path, method);
            }
            expect(method, path, body, who[i], statuses[i]);
        }
    }

    /** Puts the key back (for DELETE rows) or removes it (for PUT rows), so every caller meets the same state. */
    private void reset(String path, String method) {
        RequestSpecification admin = given().port(port).header("Authorization", "Bearer " + ADMIN);
        if (method.equals("DELETE")) {
            admin.contentType("application/json").body("{\"type\":\"integer\",\"value\":1}").put(path);
        } else {
            admin.delete(path);
        }
    }

    /**
     * A stream, and a long poll that waits (answered in a second dispatch, authorized again): a token limited to a
     * prefix gets nothing outside it, however it asks, and sees only its prefix's changes.
     */
    @Test
    void aScopedTokenWatchesOnlyUnderItsPrefix() throws Exception {
        String base = "http://localhost:" + port;
        Map<String, String> scoped = Map.of("Authorization", "Bearer " + SCOPED);
        for (String target : List.of("/watch", "/watch?prefix=", "/watch?prefix=team", "/watch?prefix=team-b/")) {
            try (dev.kvstore.api.SseClient sse = dev.kvstore.api.SseClient.open(base, target, scoped)) {
                assertThat(sse.status()).as(target).isEqualTo(403);
                assertThat(sse.response().headers().firstValue("Content-Type")).as(target)
                        .hasValue("application/problem+json");
            }
        }
        try (dev.kvstore.api.SseClient sse = dev.kvstore.api.SseClient.open(base, "/watch?prefix=team-a/watched/",
                scoped)) {
            assertThat(sse.status()).isEqualTo(200);
            String v = "{\"type\":\"integer\",\"value\":1}";
            given().port(port).header("Authorization", "Bearer " + ADMIN).contentType("application/json").body(v)
                    .put("/keys/team-b/watched/x").then().statusCode(org.hamcrest.Matchers.oneOf(200, 201));
            long in = given().port(port).header("Authorization", "Bearer " + SCOPED).contentType("application/json")
                    .body(v).put("/keys/team-a/watched/x").then().extract().jsonPath().getLong("revision");
            dev.kvstore.api.SseClient.Event e = sse.next(java.time.Duration.ofSeconds(10));
            assertThat(e.id()).isEqualTo(Long.toString(in));
            assertThat(e.data()).contains("team-a/watched/x").doesNotContain("team-b");
        }
        long from = given().port(port).header("Authorization", "Bearer " + READER).get("/keys?limit=1").then()
                .extract().jsonPath().getLong("revision") + 1;
        given().port(port).header("Authorization", "Bearer " + SCOPED).accept("application/json")
                .get("/watch?prefix=team-a/&fromRevision=" + from + "&wait=200ms").then().statusCode(200)
                .body("events", org.hamcrest.Matchers.empty());
        given().port(port).header("Authorization", "Bearer " + READER).accept("application/json")
                .get("/watch?prefix=&fromRevision=" + from + "&wait=200ms").then().statusCode(200);
    }

    @Test
    void healthDetailsOnlyForAdmin() {
        given().port(port).get("/actuator/health").then().statusCode(200)
                .body("status", org.hamcrest.Matchers.equalTo("UP"))
                .body("components", org.hamcrest.Matchers.nullValue());
        given().port(port).header("Authorization", "Bearer " + READER).get("/actuator/health").then()
                .body("components", org.hamcrest.Matchers.nullValue());
        given().port(port).header("Authorization", "Bearer " + ADMIN).get("/actuator/health").then()
                .body("components.wal.details.sync", org.hamcrest.Matchers.equalTo("always"));
    }

    @Test
    void otherAuthorizationSchemesAreRefused() {
        given().port(port).header("Authorization", "Bearer " + ADMIN).contentType("application/json")
                .body("{\"type\":\"integer\",\"value\":1}").put("/keys/existing");
        given().port(port).header("Authorization", "Basic YWRtaW46YWRtaW4=").get("/keys/existing").then()
                .statusCode(401).header("WWW-Authenticate", org.hamcrest.Matchers.containsString("invalid_token"));
        given().port(port).header("Authorization", "Bearer").get("/keys/existing").then().statusCode(401);
        given().port(port).header("Authorization", "bearer " + READER).get("/keys/existing").then().statusCode(200);
    }
}
