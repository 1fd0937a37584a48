package dev.kvstore.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.TestApps;
import dev.kvstore.store.Change;
import dev.kvstore.store.ChangeEvent;
import dev.kvstore.store.ChangeFeed;
import dev.kvstore.store.StoreOptions;
import dev.kvstore.store.Value;
import dev.kvstore.store.WalKeyValueStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The feed checker: writers on three threads write keys under {@code w/} and elsewhere (puts, deletes, batches across
 * both), while one SSE client records the feed of {@code w/}, dropping its connection 100 times at random points and
 * resuming with {@code Last-Event-ID}, across compactions and a restart of the service, with a history small enough
 * that its floor moves. The recorded feed must hold every acknowledged revision that changed a {@code w/} key exactly
 * once, in order, each batch whole with exactly its {@code w/} changes, each change with the entry before it; and it
 * must equal what the log itself gives after the service stopped. Then a watch below the floor gets 410 and one right
 * at the floor works. The seed is printed; rerun with {@code -Dkv.test.seed=}.
 */
class WatchFeedTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private static final int DISCONNECTS = 100;

    @TempDir
    Path dir;

    private volatile ConfigurableApplicationContext app;
    private volatile String base;

    /** One change as the feed shows it, or as a writer expects it; {@code value} is null for a delete. */
    record Seen(String op, String key, String value, String previous) {
    }

    /** What the writers had acknowledged: revision -> the changes of w/ keys it made, in the write's order. */
    private final ConcurrentSkipListMap<Long, List<Seen>> acknowledged = new ConcurrentSkipListMap<>();
    /** What the reader received: revision -> the event's changes. */
    private final TreeMap<Long, List<Seen>> received = new TreeMap<>();
    private final AtomicLong lastId = new AtomicLong();
    private final AtomicInteger disconnects = new AtomicInteger();
    private final AtomicBoolean paused = new AtomicBoolean();
    private final AtomicInteger pausedWriters = new AtomicInteger();
    private volatile boolean stop;
    private volatile Throwable failure;

    private void start() {
        app = TestApps.start(dir, "--kv.wal.sync=none", "--kv.compaction.auto=false", "--kv.history.retention=256KB");
        base = "http://localhost:" + TestApps.port(app);
    }

    @AfterEach
    void close() {
        stop = true;
        if (app != null) {
            app.close();
        }
    }

    @Test
    void everyRevisionOnceInOrderWholeAcrossDisconnectsCompactionsAndARestart() throws Exception {
        long seed = Long.getLong("kv.test.seed", System.nanoTime());
        System.out.println("WatchFeedTest seed: " + seed + " (replay with -Dkv.test.seed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed);
        start();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            long s = random.nextLong();
            threads.add(thread("writer-" + w, () -> write(new SplittableRandom(s))));
        }
        long readerSeed = random.nextLong();
        threads.add(thread("reader", () -> read(new SplittableRandom(readerSeed))));
        threads.forEach(Thread::start);

        awaitTrue(() -> disconnects.get() >= 25, "25 disconnects");
        compact();
        awaitTrue(() -> disconnects.get() >= 45, "45 disconnects");
        restart();
        awaitTrue(() -> disconnects.get() >= 65, "65 disconnects");
        compact();
        awaitTrue(() -> disconnects.get() >= 80, "80 disconnects");
        compact();
        awaitTrue(() -> disconnects.get() >= DISCONNECTS, DISCONNECTS + " disconnects");
        pauseWriters();
        long last = acknowledged.isEmpty() ? 0 : acknowledged.lastKey();
        awaitTrue(() -> lastId.get() >= last, "the reader reached revision " + last);
        stop = true;
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(30).toMillis());
        }
        assertThat(failure).isNull();

        // Every acknowledged revision of a w/ key exactly once, in order, whole, with its entries before. (A plain
        // DELETE is answered without its revision: each must be one event deleting that key alone.)
        assertThat(received.keySet()).as("revisions received").containsAll(acknowledged.keySet());
        Map<String, String> state = new HashMap<>();
        List<String> deletesSeen = new ArrayList<>();
        for (Map.Entry<Long, List<Seen>> e : received.entrySet()) {
            List<Seen> acked = acknowledged.get(e.getKey());
            if (acked == null) {
                assertThat(e.getValue()).as("revision %d, not acknowledged with a revision", e.getKey()).hasSize(1)
                        .allSatisfy(s -> assertThat(s.op()).isEqualTo("delete"));
                deletesSeen.add(e.getValue().get(0).key());
                acked = List.of(new Seen("delete", e.getValue().get(0).key(), null, null));
            }
            List<Seen> expected = new ArrayList<>();
            for (Seen s : acked) {
                expected.add(new Seen(s.op(), s.key(), s.value(), state.get(s.key())));
                if (s.value() == null) {
                    state.remove(s.key());
                } else {
                    state.put(s.key(), s.value());
                }
            }
            assertThat(e.getValue()).as("revision %d", e.getKey()).isEqualTo(expected);
        }
        assertThat(deletesSeen).as("plain deletes").containsExactlyInAnyOrderElementsOf(deletes);
        assertThat(state).as("the chain of changes ends in the listing").isEqualTo(listing("w/"));

        // Below the floor: 410 with the oldest revision a watch can start from; right at it: the first event.
        HttpResponse<String> gone = get("/watch?prefix=&fromRevision=1");
        assertThat(gone.statusCode()).isEqualTo(410);
        long floor = JSON.readTree(gone.body()).get("compactRevision").asLong();
        assertThat(floor).isGreaterThan(1);
        HttpResponse<String> atFloor = get("/watch?prefix=&fromRevision=" + floor + "&limit=1");
        assertThat(atFloor.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(atFloor.body()).get("events").get(0).get("revision").asLong()).isEqualTo(floor);
        try (SseClient below = SseClient.open(base, "/watch", Map.of("Last-Event-ID", Long.toString(floor - 2)))) {
            assertThat(below.status()).isEqualTo(410);
        }
        try (SseClient at = SseClient.open(base, "/watch", Map.of("Last-Event-ID", Long.toString(floor - 1)))) {
            assertThat(at.status()).isEqualTo(200);
            assertThat(at.next(Duration.ofSeconds(10)).id()).isEqualTo(Long.toString(floor));
        }

        // Against the log: the history the store derives from its files is what the reader received.
        app.close();
        app = null;
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir)
                .withHistoryRetention(256 * 1024))) {
            ChangeFeed feed = store.feed();
            assertThat(feed.compactRevision()).isLessThanOrEqualTo(floor);
            List<ChangeEvent> fromLog = feed.read(floor, "w/", Integer.MAX_VALUE, Long.MAX_VALUE).events();
            assertThat(fromLog).isNotEmpty();
            for (ChangeEvent e : fromLog) {
                assertThat(describe(e)).as("revision %d in the log", e.revision())
                        .isEqualTo(received.get(e.revision()));
            }
            assertThat(fromLog.get(fromLog.size() - 1).revision()).isEqualTo(received.lastKey());
        }
    }

    private static List<Seen> describe(ChangeEvent e) {
        List<Seen> out = new ArrayList<>();
        for (Change c : e.changes()) {
            out.add(new Seen(c.op().name().toLowerCase(), c.key(), text(c.current()), text(c.previous())));
        }
        return out;
    }

    private static String text(dev.kvstore.store.Entry e) {
        return e == null ? null : ((Value.Text) e.value()).value();
    }

    // ---- writers ----

    private void write(SplittableRandom r) throws Exception {
        int n = 0;
        while (!stop) {
            if (paused.get()) {
                pausedWriters.incrementAndGet();
                awaitTrue(() -> !paused.get() || stop, "writers resumed");
                pausedWriters.decrementAndGet();
                continue;
            }
            // Keep within the history: the reader may lag, but not by the whole retention.
            awaitTrue(() -> acknowledged.isEmpty() || acknowledged.lastKey() - lastId.get() < 300 || stop,
                    "the reader catching up");
            String value = Thread.currentThread().getName() + "-" + n++;
            switch (r.nextInt(4)) {
                case 0 -> {
                    String key = "w/" + r.nextInt(20);
                    HttpResponse<String> resp = send("DELETE", "/keys/" + key, null);
                    assertThat(resp.statusCode()).isIn(204, 404);
                    if (resp.statusCode() == 204) {
                        deletes.add(key);
                    }
                }
                case 1 -> batch(r, value);
                default -> {
                    String key = (r.nextInt(4) == 0 ? "o/" : "w/") + r.nextInt(20);
                    HttpResponse<String> resp = send("PUT", "/keys/" + key,
                            "{\"type\":\"string\",\"value\":\"" + value + "\"}");
                    assertThat(resp.statusCode()).as(resp.body()).isIn(200, 201);
                    if (key.startsWith("w/")) {
                        acknowledged.put(JSON.readTree(resp.body()).get("revision").asLong(),
                                List.of(new Seen("put", key, value, null)));
                    }
                }
            }
        }
    }

    /** Keys of acknowledged plain deletes, which are answered without their revision. */
    private final List<String> deletes = java.util.Collections.synchronizedList(new ArrayList<>());

    private void batch(SplittableRandom r, String value) throws Exception {
        StringBuilder ops = new StringBuilder("{\"operations\":[");
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String key;
            do {
                key = (r.nextBoolean() ? "w/" : "o/") + r.nextInt(20);
            } while (keys.contains(key));
            keys.add(key);
            ops.append(i == 0 ? "" : ",").append(r.nextInt(3) == 0
                    ? "{\"op\":\"delete\",\"key\":\"" + key + "\"}"
                    : "{\"op\":\"set\",\"key\":\"" + key + "\",\"type\":\"string\",\"value\":\"" + value + "\"}");
        }
        HttpResponse<String> resp = send("POST", "/batch", ops.append("]}").toString());
        assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(resp.body());
        List<Seen> changes = new ArrayList<>();
        for (JsonNode result : body.get("results")) {
            String key = result.get("key").asString();
            String outcome = result.get("outcome").asString();
            if (key.startsWith("w/") && !outcome.equals("not-found")) {
                changes.add(new Seen(outcome.equals("deleted") ? "delete" : "put", key,
                        outcome.equals("deleted") ? null : value, null));
            }
        }
        if (!changes.isEmpty()) {
            acknowledged.put(body.get("revision").asLong(), changes);
        }
    }

    // ---- the reader ----

    private void read(SplittableRandom r) throws Exception {
        while (!stop) {
            Map<String, String> headers = lastId.get() == 0 ? Map.of()
                    : Map.of("Last-Event-ID", Long.toString(lastId.get()));
            String target = lastId.get() == 0 ? "/watch?prefix=w/&fromRevision=1" : "/watch?prefix=w/";
            SseClient sse;
            try {
                sse = SseClient.open(base, target, headers);
            } catch (RuntimeException e) {
                // The service is restarting: try again.
                awaitTrue(() -> app != null && app.isActive(), "the service back");
                continue;
            }
            try (sse) {
                if (sse.status() == 503 || sse.status() == 404) {
                    continue;
                }
                if (sse.status() != 200) {
                    throw new AssertionError("resuming after " + lastId.get() + ": " + sse.status() + " "
                            + sse.response().headers().map() + " " + sse.body());
                }
                int budget = 1 + r.nextInt(30);
                boolean forced = false;
                while (!stop && !forced) {
                    SseClient.Event e = sse.next(Duration.ofSeconds(30));
                    if (e == SseClient.END) {
                        break;
                    }
                    assertThat(e.event()).isIn("change", "progress");
                    long id = Long.parseLong(e.id());
                    if (e.event().equals("progress")) {
                        assertThat(id).isGreaterThanOrEqualTo(lastId.get());
                        lastId.set(id);
                        continue;
                    }
                    assertThat(id).as("after %d", lastId.get()).isGreaterThan(lastId.get());
                    List<Seen> changes = new ArrayList<>();
                    for (JsonNode c : JSON.readTree(e.data()).get("changes")) {
                        JsonNode prev = c.get("previous");
                        changes.add(new Seen(c.get("op").asString(), c.get("key").asString(),
                                c.has("value") ? c.get("value").asString() : null,
                                prev == null || prev.isNull() ? null : prev.get("value").asString()));
                    }
                    received.put(id, changes);
                    lastId.set(id);
                    forced = --budget == 0;
                }
                if (forced) {
                    disconnects.incrementAndGet();
                }
            }
        }
    }

    // ---- the service ----

    private void compact() throws Exception {
        HttpResponse<String> r = send("POST", "/admin/compaction", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private void pauseWriters() {
        paused.set(true);
        awaitTrue(() -> pausedWriters.get() == 3, "writers paused");
    }

    private void restart() {
        pauseWriters();
        ConfigurableApplicationContext old = app;
        app = null;
        old.close();
        start();
        paused.set(false);
    }

    private Map<String, String> listing(String prefix) throws IOException {
        Map<String, String> out = new HashMap<>();
        for (JsonNode item : JSON.readTree(get("/keys?prefix=" + prefix + "&limit=1000").body()).get("items")) {
            out.put(item.get("key").asString(), item.get("value").asString());
        }
        return out;
    }

    private HttpResponse<String> get(String target) {
        return send("GET", target, null);
    }

    private HttpResponse<String> send(String method, String target, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + target)).header("Accept", "application/json");
        b = json == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Thread thread(String name, ThrowingRunnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                if (failure == null) {
                    failure = e;
                }
                stop = true;
            }
        }, name);
        t.setDaemon(true);
        return t;
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!condition.getAsBoolean()) {
            if (failure != null && !Thread.currentThread().getName().startsWith("writer")
                    && !Thread.currentThread().getName().equals("reader")) {
                throw new AssertionError("a writer or the reader failed", failure);
            }
            assertThat(System.nanoTime()).as("waiting for: " + what).isLessThan(deadline);
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
