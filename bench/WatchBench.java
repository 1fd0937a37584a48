// The client side of bench/watch.sh (issue 16): watchers of GET /watch held open, and the delivery latency of events.
// A single-file program for `java bench/WatchBench.java ...` (JDK 17+), no dependencies.
//
//   hold URL N PREFIX          N watch streams of PREFIX, each a plain socket that never reads: "idle" when nobody
//                              writes under PREFIX, "stuck" when writes do (their socket buffers fill and the server
//                              must not wait for them). Prints "READY N" once every stream got its 200 header (read
//                              before anything else), then holds them until it is killed.
//   latency URL N RATE SECS SHARED|SPREAD
//                              N streams read by the JDK HttpClient (line by line), and RATE PUTs a second for SECS
//                              seconds, each PUT's value its send time (System.nanoTime). SHARED: every stream
//                              watches lat/ and every PUT is under it, so each event goes to all N streams (RATE x N
//                              deliveries a second); SPREAD: stream i watches lat/i/ and the PUTs go round the N
//                              prefixes (RATE deliveries a second). Prints the PUT latency (send -> answer), the
//                              delivery latency (send -> the event read by the client) of every delivery, and the
//                              delay after the PUT's answer (0 when the event came first): p50, p99, p99.9, max, and
//                              how many expected deliveries never came.

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

public class WatchBench {

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "hold" -> hold(URI.create(args[1]), Integer.parseInt(args[2]), args[3]);
            case "latency" -> latency(URI.create(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]), args[5].equalsIgnoreCase("shared"));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    // ---- hold ----

    static void hold(URI base, int n, String prefix) throws Exception {
        List<Socket> sockets = new ArrayList<>();
        byte[] request = ("GET /watch?prefix=" + prefix + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream"
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        int retries = 0;
        for (int i = 0; i < n; i++) {
            Socket s = open(base, request);
            if (s == null && retries++ < 50) {
                i--; // the connection closed before an answer: once in a while under load; open another
                continue;
            }
            if (s == null) {
                throw new IllegalStateException("watch " + i + ": no answer, 50 times");
            }
            sockets.add(s);
        }
        System.err.println("hold: " + n + " streams, " + retries + " connections closed before an answer and retried");
        System.out.println("READY " + sockets.size());
        System.out.flush();
        Thread.currentThread().join(); // until killed: the sockets close with the process
    }

    /** A watch stream whose 200 status line was read, or {@code null} when the connection closed first. */
    private static Socket open(URI base, byte[] request) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress(base.getHost(), base.getPort()), 10_000);
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write(request);
        out.flush();
        String status = statusLine(s.getInputStream());
        if (status.isEmpty()) {
            s.close();
            return null;
        }
        if (!status.startsWith("HTTP/1.1 200")) {
            throw new IllegalStateException("watch: " + status);
        }
        return s;
    }

    private static String statusLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
            sb.append((char) c);
        }
        return sb.toString().trim();
    }

    // ---- latency ----

    /** Latencies in 0.1 ms buckets up to 60 s. */
    static final class Histogram {
        final AtomicLongArray buckets = new AtomicLongArray(600_001);
        final AtomicLong count = new AtomicLong();

        void add(long nanos) {
            buckets.incrementAndGet((int) Math.min(buckets.length() - 1, Math.max(0, nanos / 100_000)));
            count.incrementAndGet();
        }

        double quantileMs(double q) {
            long target = (long) Math.ceil(q * count.get());
            long seen = 0;
            for (int i = 0; i < buckets.length(); i++) {
                seen += buckets.get(i);
                if (seen >= target && seen > 0) {
                    return (i + 1) / 10.0;
                }
            }
            return Double.NaN;
        }

        String summary() {
            return String.format("n=%d p50_ms=%.1f p99_ms=%.1f p999_ms=%.1f max_ms=%.1f", count.get(),
                    quantileMs(0.5), quantileMs(0.99), quantileMs(0.999), quantileMs(1.0));
        }
    }

    static void latency(URI base, int n, int rate, int secs, boolean shared) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(2)).connectTimeout(Duration.ofSeconds(10)).build();
        Histogram delivery = new Histogram();
        Histogram afterAnswer = new Histogram();
        Histogram puts = new Histogram();
        java.util.concurrent.ConcurrentHashMap<Long, Long> answered = new java.util.concurrent.ConcurrentHashMap<>();
        long from = currentRevision(client, base) + 1;
        List<CompletableFuture<?>> opened = new ArrayList<>();
        List<Flow.Subscription> subscriptions = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int i = 0; i < n; i++) {
            String prefix = shared ? "lat/" : "lat/" + i + "/";
            HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/watch?prefix=" + prefix + "&fromRevision="
                    + from)).header("Accept", "text/event-stream").build();
            opened.add(client.sendAsync(req, HttpResponse.BodyHandlers.fromLineSubscriber(new Lines(delivery,
                    afterAnswer, answered, subscriptions))).thenApply(r -> {
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("watch: " + r.statusCode());
                        }
                        return r;
                    }));
            if (i % 100 == 99) {
                Thread.sleep(50); // let the server accept them in steps
            }
        }
        // The answers complete only when the streams end; wait until every stream has subscribed instead.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (subscriptions.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        System.out.println("streams open: " + subscriptions.size() + " of " + n);
        int writers = 32; // durable PUTs take a few ms each: enough in flight for the rate
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        long total = (long) rate * secs;
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long start = System.nanoTime();
        AtomicLong failed = new AtomicLong();
        for (long k = 0; k < total; k++) {
            long due = start + k * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            String key = shared ? "lat/" + (k % 100) : "lat/" + (k % n) + "/k";
            pool.execute(() -> {
                long sent = System.nanoTime();
                HttpRequest put = HttpRequest.newBuilder(URI.create(base + "/keys/" + key))
                        .header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"type\":\"string\",\"value\":\"t" + sent + "\"}"))
                        .build();
                try {
                    HttpResponse<Void> r = client.send(put, HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() >= 300) {
                        failed.incrementAndGet();
                    }
                } catch (Exception e) {
                    failed.incrementAndGet();
                }
                long now = System.nanoTime();
                answered.put(sent, now);
                puts.add(now - sent);
            });
        }
        pool.shutdown();
        pool.awaitTermination(300, TimeUnit.SECONDS);
        double achieved = total / ((System.nanoTime() - start) / 1e9);
        long expected = shared ? total * n : total;
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (delivery.count.get() < expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        System.out.printf("mode=%s watchers=%d rate=%d achieved_rate=%.0f secs=%d failed_puts=%d%n",
                shared ? "shared" : "spread", n, rate, achieved, secs, failed.get());
        System.out.println("PUT      " + puts.summary());
        System.out.println("DELIVERY " + delivery.summary() + " expected=" + expected + " missing="
                + (expected - delivery.count.get()));
        System.out.println("AFTER-ANSWER " + afterAnswer.summary());
        for (Flow.Subscription s : subscriptions) {
            s.cancel();
        }
        System.exit(0);
    }

    private static long currentRevision(HttpClient client, URI base) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/keys?limit=1")).build(),
                HttpResponse.BodyHandlers.ofString());
        return Long.parseLong(r.headers().firstValue("X-Revision").orElseThrow());
    }

    /** Reads one stream: each data line of a change event carries the PUT's send time in its value. */
    static final class Lines implements Flow.Subscriber<String> {
        private final Histogram delivery;
        private final Histogram afterAnswer;
        private final java.util.Map<Long, Long> answered;
        private final List<Flow.Subscription> subscriptions;

        Lines(Histogram delivery, Histogram afterAnswer, java.util.Map<Long, Long> answered,
              List<Flow.Subscription> subscriptions) {
            this.delivery = delivery;
            this.afterAnswer = afterAnswer;
            this.answered = answered;
            this.subscriptions = subscriptions;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscriptions.add(s);
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            if (!line.startsWith("data: {\"revision\"") || !line.contains("\"changes\"")) {
                return;
            }
            long now = System.nanoTime();
            // Each event here is one PUT: its change's value comes first, the previous entry's after it.
            int at = line.indexOf("\"value\":\"t");
            if (at >= 0) {
                int end = line.indexOf('"', at + 10);
                long sent = Long.parseLong(line, at + 10, end, 10);
                delivery.add(now - sent);
                // After the PUT's answer reached its client; 0 when the event came first.
                Long answer = answered.get(sent);
                afterAnswer.add(answer == null ? 0 : Math.max(0, now - answer));
            }
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }
    }
}
