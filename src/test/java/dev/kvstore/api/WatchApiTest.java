package dev.kvstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@code GET /watch} over a real port: the stream with a real SSE client ({@link SseClient}) and the long poll with
 * rest-assured. Each test watches its own prefix. Durability is not the subject: the log is not forced.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"kv.watch.progress-interval=300ms", "kv.wal.sync=none"})
class WatchApiTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void dataDir(DynamicPropertyRegistry registry) {
        registry.add("kv.data-dir", dataDir::toString);
    }

    @LocalServerPort
    int port;

    private String base() {
        return "http://localhost:" + port;
    }

    private long put(String key, String json) {
        Response r = given().port(port).contentType("application/json").body(json).put("/keys/" + key);
        assertThat(r.statusCode()).as(r.asString()).isIn(200, 201);
        return r.jsonPath().getLong("revision");
    }

    private long revision() {
        Response r = given().port(port).get("/keys?limit=1");
        return Long.parseLong(r.header("X-Revision"));
    }

    @Test
    void aStreamSendsEachRevisionUnderItsPrefixOnceWithTheEntriesBefore() throws Exception {
        try (SseClient sse = SseClient.open(base(), "/watch?prefix=s1/", Map.of())) {
            assertThat(sse.status()).isEqualTo(200);
            assertThat(sse.response().headers().firstValue("Content-Type")).hasValueSatisfying(
                    t -> assertThat(t).startsWith("text/event-stream"));
            long r1 = put("s1/a", "{\"type\":\"string\",\"value\":\"one\"}");
            put("elsewhere", "{\"type\":\"integer\",\"value\":1}");
            Response batch = given().port(port).contentType("application/json").body("{\"operations\":["
                    + "{\"op\":\"set\",\"key\":\"s1/b\",\"type\":\"float\",\"value\":0.5},"
                    + "{\"op\":\"set\",\"key\":\"x/y\",\"type\":\"integer\",\"value\":2},"
                    + "{\"op\":\"set\",\"key\":\"s1/a\",\"type\":\"string\",\"value\":\"two\"}]}").post("/batch");
            long r3 = batch.jsonPath().getLong("revision");
            given().port(port).delete("/keys/s1/a").then().statusCode(204);
            SseClient.Event e1 = nextChange(sse);
            assertThat(e1.id()).isEqualTo(Long.toString(r1));
            JsonPath j1 = new JsonPath(e1.data());
            assertThat(j1.getLong("revision")).isEqualTo(r1);
            assertThat(j1.getList("changes")).hasSize(1);
            assertThat(j1.getString("changes[0].op")).isEqualTo("put");
            assertThat(j1.getString("changes[0].key")).isEqualTo("s1/a");
            assertThat(j1.getString("changes[0].type")).isEqualTo("string");
            assertThat(j1.getString("changes[0].value")).isEqualTo("one");
            assertThat(j1.getLong("changes[0].createRevision")).isEqualTo(r1);
            assertThat(j1.getMap("changes[0]")).containsEntry("previous", null);
            SseClient.Event e3 = nextChange(sse);
            assertThat(e3.id()).isEqualTo(Long.toString(r3));
            JsonPath j3 = new JsonPath(e3.data());
            // The batch is one event with its changes under the prefix, in the batch's order.
            assertThat(j3.getList("changes.key")).containsExactly("s1/b", "s1/a");
            assertThat(j3.getMap("changes[1].previous")).isEqualTo(Map.of("type", "string", "value", "one",
                    "revision", (int) r1, "createRevision", (int) r1));
            SseClient.Event e4 = nextChange(sse);
            JsonPath j4 = new JsonPath(e4.data());
            assertThat(j4.getString("changes[0].op")).isEqualTo("delete");
            assertThat(j4.getMap("changes[0]")).containsOnlyKeys("op", "key", "previous");
            assertThat(j4.getString("changes[0].previous.value")).isEqualTo("two");
            assertThat(sse.comments()).isGreaterThanOrEqualTo(1);
        }
    }

    /** The next change event, skipping progress events. */
    private static SseClient.Event nextChange(SseClient sse) throws InterruptedException {
        while (true) {
            SseClient.Event e = sse.next(WAIT);
            if (!e.event().equals("progress")) {
                assertThat(e.event()).isEqualTo("change");
                return e;
            }
        }
    }

    @Test
    void aQuietStreamSendsProgressWithTheCurrentRevisionAndLastEventIdResumesAfterIt() throws Exception {
        long before = put("s2/a", "{\"type\":\"integer\",\"value\":1}");
        long last;
        try (SseClient sse = SseClient.open(base(), "/watch?prefix=s2/&fromRevision=" + before, Map.of())) {
            assertThat(nextChange(sse).id()).isEqualTo(Long.toString(before));
            put("elsewhere", "{\"type\":\"integer\",\"value\":2}");
            long now = revision();
            // Nothing under s2/ since: progress moves the resume point on to the current revision.
            SseClient.Event p;
            do {
                p = sse.next(WAIT);
                assertThat(p.event()).isEqualTo("progress");
            } while (Long.parseLong(p.id()) < now);
            assertThat(Long.parseLong(p.id())).isEqualTo(now);
            assertThat(new JsonPath(p.data()).getLong("revision")).isEqualTo(now);
            last = now;
        }
        long next = put("s2/b", "{\"type\":\"integer\",\"value\":3}");
        // Last-Event-ID wins over fromRevision.
        try (SseClient sse = SseClient.open(base(), "/watch?prefix=s2/&fromRevision=1",
                Map.of("Last-Event-ID", Long.toString(last)))) {
            assertThat(nextChange(sse).id()).isEqualTo(Long.toString(next));
        }
    }

    @Test
    void aLongPollAnswersAtOnceWhenAChangeExists() {
        long r = put("p1/a", "{\"type\":\"integer\",\"value\":1}");
        long t0 = System.nanoTime();
        JsonPath page = given().port(port).accept("application/json")
                .get("/watch?prefix=p1/&fromRevision=" + r + "&wait=20s").then().statusCode(200).extract().jsonPath();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(page.getList("events.revision", Long.class)).containsExactly(r);
        assertThat(page.getLong("nextRevision")).isEqualTo(page.getLong("revision") + 1).isGreaterThan(r);
    }

    @Test
    void aLongPollWaitsAndAnswersEmptyWhenNothingChanges() {
        long from = revision() + 1;
        long t0 = System.nanoTime();
        JsonPath page = given().port(port).accept("application/json")
                .get("/watch?prefix=p2/&fromRevision=" + from + "&wait=1s").then().statusCode(200).extract().jsonPath();
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(took).isBetween(Duration.ofMillis(1000), Duration.ofSeconds(10));
        assertThat(page.getList("events")).isEmpty();
        assertThat(page.getLong("nextRevision")).isGreaterThanOrEqualTo(from);
    }

    @Test
    void aLongPollAnswersWhenAChangeArrivesDuringItsWait() throws Exception {
        long from = revision() + 1;
        Thread writer = new Thread(() -> {
            given().port(port).accept("application/json").get("/watch?prefix=p3/&wait=1ms");
            put("elsewhere", "{\"type\":\"integer\",\"value\":1}");
            put("p3/a", "{\"type\":\"integer\",\"value\":1}");
        });
        long t0 = System.nanoTime();
        writer.start();
        JsonPath page = given().port(port).accept("application/json")
                .get("/watch?prefix=p3/&fromRevision=" + from + "&wait=30s").then().statusCode(200).extract().jsonPath();
        writer.join();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
        assertThat(page.getList("events.changes.flatten().key", String.class)).containsExactly("p3/a");
    }

    /**
     * A client that chains long polls, each from the previous answer's nextRevision, while a writer writes under
     * the prefix and elsewhere between and during them, gets every revision of the prefix exactly once.
     */
    @Test
    void chainedLongPollsMissNoChangeBetweenTwoPolls() throws Exception {
        long from = revision() + 1;
        java.util.concurrent.ConcurrentLinkedQueue<Long> written = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread writer = new Thread(() -> {
            for (int i = 0; i < 60 && !stop.get(); i++) {
                long r = put((i % 3 == 0 ? "p4-other/" : "p4/") + (i % 7), "{\"type\":\"integer\",\"value\":" + i + "}");
                if (i % 3 != 0) {
                    written.add(r);
                }
            }
        });
        writer.start();
        List<Long> seen = new java.util.ArrayList<>();
        long next = from;
        try {
            while (writer.isAlive() || seen.size() < written.size()) {
                JsonPath page = given().port(port).accept("application/json")
                        .get("/watch?prefix=p4/&fromRevision=" + next + "&wait=2s&limit=3").then().statusCode(200)
                        .extract().jsonPath();
                seen.addAll(page.getList("events.revision", Long.class));
                assertThat(page.getLong("nextRevision")).isGreaterThanOrEqualTo(next);
                next = page.getLong("nextRevision");
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        assertThat(seen).isSorted().doesNotHaveDuplicates().containsExactlyElementsOf(List.copyOf(written));
    }

    @Test
    void refusesWhatItDoesNotUnderstand() {
        for (String target : List.of("/watch?prefx=a", "/watch?fromRevision=0", "/watch?fromRevision=x",
                "/watch?wait=forever", "/watch?limit=0", "/watch?prefix=a&prefix=b")) {
            given().port(port).accept("application/json").get(target).then().statusCode(400)
                    .contentType("application/problem+json")
                    .body("type", org.hamcrest.Matchers.equalTo("urn:kv-store:problem:invalid-query"));
        }
        try (SseClient sse = SseClient.open(base(), "/watch?wait=1s", Map.of())) {
            assertThat(sse.status()).isEqualTo(400);
        }
        try (SseClient sse = SseClient.open(base(), "/watch", Map.of("Last-Event-ID", "abc"))) {
            assertThat(sse.status()).isEqualTo(400);
            assertThat(sse.response().headers().firstValue("Content-Type")).hasValue("application/problem+json");
        }
    }
}
