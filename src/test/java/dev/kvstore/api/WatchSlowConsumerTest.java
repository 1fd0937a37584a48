package dev.kvstore.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.atomic.AtomicInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Watchers that never read: the writers do not wait for them, and each is disconnected once its connection has
 * taken no bytes for {@code kv.watch.send-timeout} while events waited; it then resumes from its last event with
 * {@code Last-Event-ID}, from the history. Durability is not the subject here: the log is not forced.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"kv.watch.send-timeout=1s", "kv.wal.sync=none"})
class WatchSlowConsumerTest {

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void dataDir(DynamicPropertyRegistry registry) {
        registry.add("kv.data-dir", dataDir::toString);
    }

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry metrics;

    /** A watcher that sends its request and then reads nothing, with a small receive buffer. */
    private Socket stuckWatcher() throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("localhost", port), 10_000);
        OutputStream out = s.getOutputStream();
        out.write(("GET /watch?prefix=slow/ HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return s;
    }

    private double ended(String reason) {
        var c = metrics.find("kv.watch.ended").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    private double streams() {
        return metrics.get("kv.watch.streams").gauge().value();
    }

    @Test
    void watchersThatNeverReadDoNotHoldUpWritersAndAreDisconnectedToResumeLater() throws Exception {
        List<Socket> stuck = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            stuck.add(stuckWatcher());
        }
        awaitTrue(() -> streams() >= 10, "ten streams open");
        double stalledBefore = ended("stalled");
        String value = "{\"type\":\"string\",\"value\":\"" + "x".repeat(4000) + "\"}";
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        ExecutorService writers = Executors.newFixedThreadPool(4);
        AtomicInteger written = new AtomicInteger();
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            done.add(writers.submit(() -> {
                for (int i = 0; i < 600; i++) {
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                            + "/keys/slow/" + writer + "-" + (i % 50))).header("Content-Type", "application/json")
                            .PUT(HttpRequest.BodyPublishers.ofString(value)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
                    written.incrementAndGet();
                }
                return null;
            }));
        }
        try {
            for (Future<?> f : done) {
                // 9.6 MB of events: far more than ten idle connections' buffers take.
                f.get(120, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            writers.shutdownNow();
            System.out.println("writes acknowledged: " + written.get());
        }
        awaitTrue(() -> ended("stalled") - stalledBefore >= 10, "the ten stuck watchers disconnected");
        awaitTrue(() -> streams() == 0, "no stream left open");

        // One of them reads what reached it before the disconnect, and resumes after its last event.
        Socket s = stuck.get(0);
        // The server has dropped the connection: what reached the socket, then the end.
        s.setSoTimeout(10_000);
        String received = readAll(s.getInputStream());
        Matcher ids = Pattern.compile("(?m)^id: (\\d+)$").matcher(received);
        long last = -1;
        long count = 0;
        while (ids.find()) {
            long id = Long.parseLong(ids.group(1));
            assertThat(id).isGreaterThan(last);
            last = id;
            count++;
        }
        assertThat(count).as("events before the disconnect").isGreaterThan(0).isLessThan(2400);
        try (SseClient again = SseClient.open("http://localhost:" + port, "/watch?prefix=slow/",
                Map.of("Last-Event-ID", Long.toString(last)))) {
            assertThat(again.status()).isEqualTo(200);
            SseClient.Event next = again.next(Duration.ofSeconds(10));
            assertThat(next.event()).isEqualTo("change");
            assertThat(Long.parseLong(next.id())).isGreaterThan(last);
        }
        for (Socket socket : stuck) {
            socket.close();
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
            out.write(buf, 0, n);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for: " + what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
