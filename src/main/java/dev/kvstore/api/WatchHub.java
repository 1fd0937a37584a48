package dev.kvstore.api;

import dev.kvstore.KvProperties;
import dev.kvstore.problem.ProblemWriter;
import dev.kvstore.store.ChangeEvent;
import dev.kvstore.store.ChangeFeed;
import dev.kvstore.store.HistoryCompactedException;
import dev.kvstore.store.KeyValueStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs the watches of {@code GET /watch}: the open streams ({@link SseStream}) and waiting long polls
 * ({@link LongPoll}), on a small executor of its own ({@link #THREADS} threads), never one thread per watcher. A
 * timer (a thread of its own, so that the work queue is a plain queue rather than a timer's heap) asks idle streams
 * for progress events and closes stalled ones, and ends long polls that waited long enough. Each event is turned
 * into its bytes once and shared by every stream that sends it whole, while it is among the newest events whose
 * bytes fit {@link #cacheBudget} (values of megabytes would otherwise keep gigabytes of rendered bytes alive).
 *
 * <p>It stops before the web server's graceful shutdown, ending every stream and answering every long poll, so that
 * shutdown does not wait for watchers; clients resume elsewhere or after the restart.
 */
@Component
class WatchHub implements SmartLifecycle {

    private static final Log LOG = LogFactory.getLog(WatchHub.class);
    static final int THREADS = 2;
    private static final long TICK_MILLIS = 250;
    /** At most this share of the heap keeps rendered events, and never more than {@link #CACHE_MAX_BYTES}. */
    private static final int CACHE_HEAP_SHARE = 32;
    private static final long CACHE_MAX_BYTES = 32L << 20;

    private final ChangeFeed feed;
    private final JsonMapper json;
    private final KvProperties.Watch settings;
    private final java.util.concurrent.ThreadPoolExecutor executor;
    private final ScheduledThreadPoolExecutor timer;
    private final Set<SseStream> streams = ConcurrentHashMap.newKeySet();
    private final Set<LongPoll> polls = ConcurrentHashMap.newKeySet();
    private final Map<SseStream.End, Counter> ended = new EnumMap<>(SseStream.End.class);
    private final Counter eventsSent;
    /** The SSE bytes of recent events, by revision; an entry is good for the very event object it was made of. */
    private final ConcurrentSkipListMap<Long, Rendered> rendered = new ConcurrentSkipListMap<>();
    /** The bytes of the events in {@link #rendered}; guarded by it. */
    private long cachedBytes;
    private final long cacheBudget = Math.min(CACHE_MAX_BYTES, Runtime.getRuntime().maxMemory() / CACHE_HEAP_SHARE);
    private volatile boolean running;
    private volatile java.util.concurrent.ScheduledFuture<?> ticks;

    private record Rendered(ChangeEvent event, byte[] bytes) {
    }

    WatchHub(KeyValueStore store, JsonMapper json, KvProperties properties, MeterRegistry registry) {
        this.feed = store.feed();
        this.json = json;
        this.settings = properties.watch();
        AtomicInteger n = new AtomicInteger();
        this.executor = new java.util.concurrent.ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.NANOSECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "kv-watch-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "kv-watch-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        Gauge.builder("kv.watch.streams", streams, Set::size).description("Open Server-Sent Event streams of GET /watch")
                .register(registry);
        Gauge.builder("kv.watch.polls", polls, Set::size).description("Long polls of GET /watch waiting for a change")
                .register(registry);
        for (SseStream.End why : SseStream.End.values()) {
            ended.put(why, Counter.builder("kv.watch.ended").description("Streams of GET /watch that ended, by why")
                    .tag("reason", why.name().toLowerCase(Locale.ROOT)).register(registry));
        }
        this.eventsSent = Counter.builder("kv.watch.events").description("Events sent to streams of GET /watch")
                .register(registry);
    }

    ChangeFeed feed() {
        return feed;
    }

    KvProperties.Watch settings() {
        return settings;
    }

    // ---- streams ----

    /** Starts a stream of events from revision {@code from} on the request, which the caller has checked. */
    void stream(HttpServletRequest request, HttpServletResponse response, String prefix, long from)
            throws IOException {
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType("text/event-stream");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-cache");
        // nginx would otherwise buffer the stream.
        response.setHeader("X-Accel-Buffering", "no");
        if (!running) {
            // Shutting down: an empty stream, which EventSource follows with a reconnect (to another node, or to
            // this one once it is back); a refusal would make it give up.
            response.getOutputStream().write(ascii(": shutting down; reconnect with Last-Event-ID\n\n"));
            return;
        }
        AsyncContext async = request.startAsync(request, response);
        async.setTimeout(0);
        Runnable abort = request.getAttribute(ConnectionAbortValve.ATTRIBUTE) instanceof Runnable r ? r : null;
        SseStream stream = new SseStream(this, async, response.getOutputStream(), abort, feed, prefix, from);
        streams.add(stream);
        stream.start();
        if (!running) {
            stream.end(SseStream.End.SHUTDOWN);
        }
    }

    void removed(SseStream stream) {
        streams.remove(stream);
    }

    void ended(SseStream stream, SseStream.End why) {
        if (streams.remove(stream)) {
            ended.get(why).increment();
        }
    }

    /** The events as SSE, each {@code id}, {@code event: change} and its JSON on one {@code data} line. */
    byte[] render(List<ChangeEvent> events) {
        eventsSent.increment(events.size());
        if (events.size() == 1) {
            return render(events.get(0));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ChangeEvent e : events) {
            out.writeBytes(render(e));
        }
        return out.toByteArray();
    }

    /**
     * The event's bytes, made by one thread at a time: the streams woken by one event all want it at once, and two
     * copies of an event of megabytes being made side by side would cost twice the heap for nothing.
     */
    private byte[] render(ChangeEvent e) {
        byte[] bytes = cached(e);
        if (bytes != null) {
            return bytes;
        }
        synchronized (rendered) {
            bytes = cached(e);
            if (bytes == null) {
                bytes = sse(e);
                remember(new Rendered(e, bytes));
            }
            return bytes;
        }
    }

    private byte[] cached(ChangeEvent e) {
        Rendered r = rendered.get(e.revision());
        return r != null && r.event() == e ? r.bytes() : null;
    }

    /** {@code id}, {@code event: change} and the JSON on one {@code data} line (JSON holds no raw line break). */
    private byte[] sse(ChangeEvent e) {
        byte[] head = ascii("id: " + e.revision() + "\nevent: change\ndata: ");
        byte[] data = json.writeValueAsBytes(EventView.of(e));
        byte[] bytes = Arrays.copyOf(head, head.length + data.length + 2);
        System.arraycopy(data, 0, bytes, head.length, data.length);
        bytes[bytes.length - 2] = '\n';
        bytes[bytes.length - 1] = '\n';
        return bytes;
    }

    /** Keeps the newest rendered events within the budget, the newest one always. Called holding the cache. */
    private void remember(Rendered r) {
        Rendered replaced = rendered.put(r.event().revision(), r);
        cachedBytes += r.bytes().length - (replaced == null ? 0 : replaced.bytes().length);
        // firstKey/lastKey rather than size(), which counts a skip list's every entry.
        while (cachedBytes > cacheBudget && rendered.firstKey() < rendered.lastKey()) {
            cachedBytes -= rendered.pollFirstEntry().getValue().bytes().length;
        }
    }

    /** The last event of a stream whose position fell out of the history: the 410 problem, as an event. */
    byte[] compactedEvent(HistoryCompactedException e) {
        ApiProblem problem = WatchController.compacted(e, "");
        byte[] body = ProblemWriter.body(problem.type(), problem.getMessage(), null, problem.extensions());
        return ascii("event: compacted\ndata: " + new String(body, StandardCharsets.UTF_8) + "\n\n");
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- long polls ----

    void waiting(LongPoll poll) {
        polls.add(poll);
        if (!running) {
            poll.answerNow();
        }
    }

    void answered(LongPoll poll) {
        polls.remove(poll);
    }

    // ---- the executor and the timer ----

    void execute(Runnable task) {
        try {
            executor.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Stopped: run it here, so that a stream that ends late still completes its request (graceful shutdown
            // would wait for it).
            task.run();
        }
    }

    /** Runs {@code task} after the delay; at once (returning {@code null}) when the hub has stopped. */
    java.util.concurrent.ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        try {
            return timer.schedule(() -> execute(task), delayNanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            task.run();
            return null;
        }
    }

    private void tick() {
        long now = System.nanoTime();
        long progress = settings.progressInterval().toNanos();
        long sendTimeout = settings.sendTimeout().toNanos();
        for (SseStream s : streams) {
            s.tick(now, progress, sendTimeout);
        }
    }

    @Override
    public void start() {
        running = true;
        ticks = timer.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Ends every stream and answers every long poll, and stops the timer. */
    @Override
    public void stop() {
        running = false;
        int open = streams.size();
        for (SseStream s : streams) {
            s.end(SseStream.End.SHUTDOWN);
        }
        for (LongPoll p : polls) {
            p.answerNow();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((!streams.isEmpty() || !polls.isEmpty()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        java.util.concurrent.ScheduledFuture<?> t = ticks;
        if (t != null) {
            t.cancel(false);
        }
        if (open > 0) {
            LOG.info(String.format("Ended %d watch streams for shutdown; their clients resume with Last-Event-ID",
                    open));
        }
    }

    /** The executor goes with the context; a stopped hub may start again (a test context that was paused). */
    @jakarta.annotation.PreDestroy
    void shutdown() {
        timer.shutdownNow();
        executor.shutdownNow();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Before the web server's graceful shutdown, which would otherwise wait for every stream to end. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE;
    }
}
