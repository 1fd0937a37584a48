package dev.kvstore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory is bounded by configuration, not by load: the packaged jar with a 256 MiB heap (and the image's
 * {@code -XX:+ExitOnOutOfMemoryError}), 64 clients each doing PUT and GET of a value just under the 4 MiB limit,
 * several rounds, all at once. The process must stay up, every answer must be a 2xx or a 503 problem with
 * {@code Retry-After}, no connection may be dropped, every value read must be one that was written, and afterwards
 * the service must still take and serve a large value. The 64 clients share 8 keys, so that the data itself (8
 * values) fits the heap and what is measured is the memory of requests in flight. Meanwhile {@link #WATCHERS}
 * clients watch the keys over Server-Sent Events: each event carries a value and the one it replaced, up to 8 MiB,
 * and none of them may cost the heap per watcher. A watcher may be dropped (it falls out of the small heap's
 * history and is told so with a {@code compacted} event, or it stalls), but what it got has no gap, and one still
 * watching at the end gets every revision.
 */
class LargeValueLoadIT {

    private static final int CLIENTS = 64;
    private static final int KEYS = 8;
    private static final int WATCHERS = 16;
    private static final int ROUNDS = Integer.getInteger("kv.load.rounds", 3);
    /** ASCII characters of each value: the default value limit (4 MiB of UTF-8) minus room for the prefix. */
    private static final int VALUE_CHARS = 4 * 1024 * 1024 - 32;
    /** The heap, plus any options of {@code -Dkv.load.jvm} (e.g. {@code " -Xlog:gc:file=gc.log"} to see the heap). */
    private static final String HEAP = "-Xmx256m" + System.getProperty("kv.load.jvm", "");

    @TempDir
    Path dataDir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    @Test
    void sixtyFourClientsWithFourMebibyteValuesOnASmallHeap() throws Exception {
        DockerfileSpec spec = DockerfileSpec.read(Path.of("Dockerfile"));
        Path jar = Path.of(System.getProperty("kv.jar", "target/kv-store.jar"));
        Path output = Files.createDirectories(Path.of("target", "e2e")).resolve("large-value-load.log");
        Files.deleteIfExists(output);

        try (ServiceProcess service = ServiceProcess.start(spec, jar, dataDir, output, HEAP, Map.of())) {
            service.awaitReady(Duration.ofSeconds(90));
            List<Watcher> watchers = new ArrayList<>();
            for (int w = 0; w < WATCHERS; w++) {
                watchers.add(Watcher.start(http, service.uri("/watch?prefix=big/")));
            }
            long start = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                clients.add(pool.submit(() -> {
                    for (int round = 0; round < ROUNDS; round++) {
                        putAndGet(service.port, client, round);
                    }
                    return null;
                }));
            }
            for (Future<?> f : clients) {
                f.get(10, TimeUnit.MINUTES);
            }
            pool.shutdown();
            System.out.printf("LargeValueLoadIT: %d clients x %d rounds of PUT+GET of %d-character values with %s"
                    + " in %.1f s: %s%n", CLIENTS, ROUNDS, VALUE_CHARS, HEAP, (System.nanoTime() - start) / 1e9,
                    new java.util.TreeMap<>(answers));

            assertThat(service.log()).doesNotContain("java.lang.OutOfMemoryError");
            assertThat(failures).as("dropped connections and unexpected answers").isEmpty();
            assertThat(answers.getOrDefault("PUT 201", new AtomicInteger()).get()
                    + answers.getOrDefault("PUT 200", new AtomicInteger()).get()).as("writes that got through")
                    .isPositive();
            // Afterwards the service still takes and serves a large value, and is healthy.
            putAndGet(service.port, CLIENTS, ROUNDS);
            assertThat(failures).isEmpty();
            assertThat(answers.get("GET 200").get()).isPositive();
            assertThat(service.get("/actuator/health").statusCode()).isEqualTo(200);
            checkWatchers(watchers, service);
            assertThat(service.terminate(Duration.ofSeconds(60))).as("exit status after SIGTERM").isZero();
        }
    }

    /** No watcher saw a gap; each one still open gets to the last revision; some events were delivered. */
    private static void checkWatchers(List<Watcher> watchers, ServiceProcess service) throws Exception {
        long last = Long.parseLong(service.get("/keys?prefix=big/&limit=1").headers().firstValue("X-Revision")
                .orElseThrow());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int events = 0;
        int compacted = 0;
        int ended = 0;
        for (Watcher w : watchers) {
            w.awaitRevisionOrEnd(last, deadline);
            w.close();
            assertThat(w.failure).as("watcher").isNull();
            assertThat(w.gaps).as("revisions a watcher skipped without being told").isEmpty();
            if (!w.ended) {
                assertThat(w.lastRevision).as("a watcher still open").isEqualTo(last);
            }
            events += w.events;
            compacted += w.compacted ? 1 : 0;
            ended += w.ended ? 1 : 0;
        }
        System.out.printf("LargeValueLoadIT: %d watchers got %d events up to revision %d; %d ended (%d of them told"
                + " 'compacted')%n", watchers.size(), events, last, ended, compacted);
        assertThat(events).as("events delivered").isPositive();
    }

    /** An SSE client on its own thread, reading the stream's lines: ids, and whether it was told it fell out. */
    private static final class Watcher implements Runnable {
        private final HttpClient http;
        private final URI uri;
        private final Thread thread;
        private volatile java.io.InputStream body;
        /** The store is empty when the watchers start, so the first event is revision 1. */
        volatile long lastRevision;
        volatile int events;
        volatile boolean compacted;
        volatile boolean ended;
        volatile Throwable failure;
        final List<String> gaps = new java.util.concurrent.CopyOnWriteArrayList<>();
        private volatile boolean closing;

        private Watcher(HttpClient http, URI uri) {
            this.http = http;
            this.uri = uri;
            this.thread = new Thread(this, "watcher");
        }

        static Watcher start(HttpClient http, URI uri) throws Exception {
            Watcher w = new Watcher(http, uri);
            HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(uri)
                    .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).as("GET /watch").isEqualTo(200);
            w.body = r.body();
            w.thread.start();
            return w;
        }

        @Override
        public void run() {
            try (java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(body, StandardCharsets.UTF_8), 1 << 16)) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("id: ")) {
                        long id = Long.parseLong(line.substring(4));
                        if (id != lastRevision + 1) {
                            gaps.add(lastRevision + " -> " + id);
                        }
                        events++;
                        reached(id, false);
                    } else if (line.equals("event: compacted")) {
                        compacted = true;
                    }
                }
                reached(lastRevision, true);
            } catch (IOException e) {
                // The service dropped the connection (allowed: the client would resume), or the test closed it.
                reached(lastRevision, !closing);
            } catch (RuntimeException e) {
                failure = e;
                reached(lastRevision, true);
            }
        }

        private synchronized void reached(long revision, boolean end) {
            lastRevision = revision;
            ended |= end;
            notifyAll();
        }

        synchronized void awaitRevisionOrEnd(long revision, long deadline) throws InterruptedException {
            while (!ended && lastRevision < revision) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }

        void close() throws Exception {
            closing = true;
            body.close();
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }
    }

    private void putAndGet(int port, int client, int round) throws InterruptedException {
        String key = "big/" + (client % KEYS);
        URI uri = URI.create("http://localhost:" + port + "/keys/" + key);
        String what = "client " + client + " round " + round + " ";
        try {
            HttpResponse<byte[]> put = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(2))
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(body(client, round))).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            record("PUT", put, what);
            if (put.statusCode() == 503) {
                return;
            }
            HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(2)).GET()
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            record("GET", get, what);
            if (get.statusCode() == 200 && !isAWrittenValue(get.body(), key)) {
                failures.add(what + "GET: a value nobody wrote: "
                        + new String(get.body(), 0, Math.min(200, get.body().length), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            failures.add(what + "dropped: " + e);
        }
    }

    private void record(String method, HttpResponse<byte[]> r, String what) {
        int status = r.statusCode();
        answers.computeIfAbsent(method + " " + status, k -> new AtomicInteger()).incrementAndGet();
        boolean ok = method.equals("PUT") ? status == 200 || status == 201 : status == 200;
        if (ok) {
            return;
        }
        String type = r.headers().firstValue("Content-Type").orElse("");
        if (status != 503 || !type.startsWith("application/problem+json")
                || r.headers().firstValue("Retry-After").isEmpty()) {
            failures.add(what + method + " answered " + status + " " + r.headers().map() + " "
                    + new String(r.body(), 0, Math.min(300, r.body().length), StandardCharsets.UTF_8));
        }
    }

    /** {"type":"string","value":"c<client>r<round>:xxxx..."}, the x repeated to make up the size. */
    private static byte[] body(int client, int round) {
        String head = "{\"type\":\"string\",\"value\":\"" + prefix(client, round);
        byte[] b = new byte[head.length() + VALUE_CHARS - prefix(client, round).length() + 2];
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(h, 0, b, 0, h.length);
        Arrays.fill(b, h.length, b.length - 2, filler(client));
        b[b.length - 2] = '"';
        b[b.length - 1] = '}';
        return b;
    }

    private static String prefix(int client, int round) {
        return "c" + client + "r" + round + ":";
    }

    private static byte filler(int client) {
        return (byte) ('a' + client % 26);
    }

    /** The entry of {@code key} holding exactly a value some client wrote. */
    private static boolean isAWrittenValue(byte[] body, String key) {
        String head = new String(body, 0, Math.min(body.length, 200), StandardCharsets.US_ASCII);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "^\\{\"key\":\"" + key + "\",\"type\":\"string\",\"value\":\"c(\\d+)r(\\d+):").matcher(head);
        if (!m.find()) {
            return false;
        }
        int client = Integer.parseInt(m.group(1));
        int from = m.end();
        int to = from + VALUE_CHARS - (m.group(0).length() - m.group(0).indexOf("\"value\":\"") - 9);
        if (to >= body.length || body[to] != '"') {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (body[i] != filler(client)) {
                return false;
            }
        }
        return new String(body, to, body.length - to, StandardCharsets.US_ASCII)
                .matches("\",\"revision\":\\d+,\"createRevision\":\\d+}");
    }
}
