package dev.kvstore.api;

import dev.kvstore.store.ChangeFeed;
import dev.kvstore.store.HistoryCompactedException;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One {@code GET /watch} stream of Server-Sent Events, written with the servlet's non-blocking output: no thread is
 * held while the client reads or while nothing happens. The stream keeps only its position in the change feed; the
 * events wait in the store's history, so a client that reads slowly costs neither memory nor the writers' time.
 *
 * <p>All work happens in {@link #pump}, run by one thread at a time on the {@link WatchHub}'s executor, whenever
 * the feed publishes a change under the stream's prefix, the socket takes bytes again ({@link #onWritePossible}), or
 * the hub's timer asks for a progress event or a close. The pump sends what the feed holds from the stream's
 * position, in batches of up to {@link #BATCH_EVENTS} events, until the socket is full (then Tomcat calls back once
 * it drains) or the stream has caught up (then it waits on the feed). A batch goes to the socket in slices of at
 * most {@link #SLICE_BYTES}, each only when the socket took the one before: Tomcat keeps a copy of whatever it could
 * not send at once, so a whole event written in one call (up to twice the largest value, with its previous value)
 * would cost that much heap per stream, and a few watchers of large values would exhaust a small heap.
 *
 * <p>Ends: the client goes away; the client takes no bytes for {@code kv.watch.send-timeout} while events wait (the
 * connection is closed; it resumes with {@code Last-Event-ID} while the history holds its position); the stream's
 * position falls out of the history (a final {@code compacted} event, then the end); the server shuts down.
 */
final class SseStream implements WriteListener, AsyncListener {

    /** Why a stream ended. */
    enum End { CLIENT, STALLED, COMPACTED, SHUTDOWN }

    static final int BATCH_EVENTS = 256;
    static final long BATCH_BYTES = 256 * 1024;
    static final int SLICE_BYTES = 64 * 1024;

    private final WatchHub hub;
    private final AsyncContext async;
    private final ServletOutputStream out;
    /** Drops the connection at once, whatever waits to be sent; {@code null} when the container offers none. */
    private final Runnable abort;
    private final ChangeFeed feed;
    private final String prefix;
    /** The next revision to send; only the pump touches it. */
    private long next;
    private boolean opened;
    /** The bytes being sent (often shared with other streams: never modified), from {@link #pendingAt}; or null. */
    private byte[] pending;
    private int pendingAt;
    private ChangeFeed.Subscription waiting;
    private boolean ended;

    private final AtomicInteger work = new AtomicInteger();
    /** {@link System#nanoTime} of the last bytes handed to the socket. */
    private volatile long lastSent = System.nanoTime();
    /** {@link System#nanoTime} since when written bytes wait for the socket, or 0. */
    private volatile long blockedSince;
    private volatile boolean progressDue;
    /**
     * The container made its first {@link #onWritePossible} call. Until then Tomcat's {@code isReady()} answers
     * false (it keeps the write for that call), so a pump before it would count as a client not reading, and a busy
     * machine could end a brand-new stream as stalled before its first byte.
     */
    private volatile boolean writable;
    private volatile End ending;
    /**
     * The connection failed or the request completed: Tomcat recycles the request's objects for another connection as
     * soon as the callback that says so returns. Guarded by {@code this}: the pump touches the response (write, flush,
     * isReady, complete, abort) only while holding it and seeing {@code gone} false, and the callbacks set it while
     * holding it, so they wait for a call in progress and nothing touches the objects after.
     */
    private boolean gone;

    SseStream(WatchHub hub, AsyncContext async, ServletOutputStream out, Runnable abort, ChangeFeed feed,
              String prefix, long from) {
        this.hub = hub;
        this.async = async;
        this.out = out;
        this.abort = abort;
        this.feed = feed;
        this.prefix = prefix;
        this.next = from;
    }

    /** Starts sending: Tomcat calls {@link #onWritePossible} once the response can be written. */
    void start() {
        async.addListener(this);
        out.setWriteListener(this);
    }

    // ---- called by the hub's timer ----

    /** Asks for a progress event when nothing was sent for {@code progressNanos}; ends a stalled stream. */
    void tick(long now, long progressNanos, long sendTimeoutNanos) {
        long blocked = blockedSince;
        if (blocked != 0 && now - blocked > sendTimeoutNanos) {
            end(End.STALLED);
        } else if (now - lastSent >= progressNanos) {
            progressDue = true;
            schedule();
        }
    }

    /** Ends the stream, on the pump's thread. */
    void end(End why) {
        if (ending == null) {
            ending = why;
        }
        schedule();
    }

    // ---- the container's callbacks ----

    @Override
    public void onWritePossible() {
        writable = true;
        schedule();
    }

    @Override
    public void onError(Throwable t) {
        markGone();
        end(End.CLIENT);
    }

    @Override
    public void onComplete(AsyncEvent event) {
        markGone();
        hub.removed(this);
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        end(End.SHUTDOWN);
    }

    /**
     * The connection failed (the client went away): complete here, on the container's thread, or Tomcat goes on to
     * dispatch the request to its error page, which cannot answer a stream that has begun. The pump then only cleans
     * up; whatever it still writes fails, and it stops.
     */
    @Override
    public void onError(AsyncEvent event) {
        markGone();
        end(End.CLIENT);
        try {
            async.complete();
        } catch (IllegalStateException e) {
            // completed already
        }
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // not restarted
    }

    // ---- the pump ----

    private void schedule() {
        if (work.getAndIncrement() == 0) {
            hub.execute(this::run);
        }
    }

    private void run() {
        int n = work.get();
        while (true) {
            pump();
            n = work.addAndGet(-n);
            if (n == 0) {
                return;
            }
        }
    }

    private void pump() {
        if (ended) {
            return;
        }
        if (ending != null) {
            finish(ending);
            return;
        }
        if (!writable) {
            return; // the container's first onWritePossible runs the pump again
        }
        try {
            if (!sent()) {
                return;
            }
            if (!opened) {
                opened = true;
                if (!send(hub.ascii(": watching from revision " + next + "\n\n"))) {
                    return;
                }
            }
            ChangeFeed.Subscription woken = waiting;
            if (woken != null) {
                // The feed checked these revisions for a change under the prefix already: none.
                next = Math.max(next, woken.from());
            }
            while (true) {
                ChangeFeed.Read read;
                try {
                    read = feed.read(next, prefix, BATCH_EVENTS, BATCH_BYTES);
                } catch (HistoryCompactedException e) {
                    send(hub.compactedEvent(e));
                    finish(End.COMPACTED);
                    return;
                }
                next = read.next();
                byte[] bytes;
                if (!read.events().isEmpty()) {
                    bytes = hub.render(read.events());
                } else if (progressDue) {
                    progressDue = false;
                    bytes = progress(next - 1);
                } else if (feed.closed()) {
                    finish(End.SHUTDOWN);
                    return;
                } else {
                    await();
                    return;
                }
                if (!send(bytes)) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // The client went away (or the container gave up on the response, or recycled it after onError).
            finish(End.CLIENT);
        }
    }

    /** Starts sending {@code bytes}; as {@link #sent}. */
    private boolean send(byte[] bytes) throws IOException {
        pending = bytes;
        pendingAt = 0;
        return sent();
    }

    /**
     * Writes what is pending, a slice at a time while the socket takes it, and flushes; true when all of it went,
     * false when the socket is full (Tomcat calls {@link #onWritePossible} once it has sent what it holds).
     */
    private boolean sent() throws IOException {
        synchronized (this) {
            requireCurrent();
            while (out.isReady()) {
                blockedSince = 0; // the socket took what it was given
                if (pending == null) {
                    out.flush();
                    if (out.isReady()) {
                        return true;
                    }
                    break;
                }
                int n = Math.min(SLICE_BYTES, pending.length - pendingAt);
                out.write(pending, pendingAt, n);
                pendingAt += n;
                if (pendingAt == pending.length) {
                    pending = null;
                }
                lastSent = System.nanoTime();
            }
        }
        if (blockedSince == 0) {
            blockedSince = System.nanoTime() | 1;
        }
        return false;
    }

    private void await() {
        if (waiting != null) {
            waiting.cancel();
        }
        waiting = feed.onChange(next, prefix, this::schedule);
    }

    private static byte[] progress(long revision) {
        return ("id: " + revision + "\nevent: progress\ndata: {\"revision\":" + revision + "}\n\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The pump runs after the container's callbacks have said the request is over (they schedule it): by then the
     * response's objects may serve another connection, so it stops here instead of touching them. A write that fails
     * on a dead connection makes Tomcat record the failure in the response and its processor: were that to happen
     * after the callbacks returned, the failure would land on the next connection's request, which Tomcat would then
     * close before answering it. Called holding {@code this}.
     */
    private void requireCurrent() throws IOException {
        if (gone) {
            throw new IOException("the request is over");
        }
    }

    private synchronized void markGone() {
        gone = true;
    }

    /**
     * Drops the connection, unless the request is over: then the connection may already carry another request,
     * which the abort would cut.
     */
    private synchronized void abortIfCurrent() {
        if (!gone && abort != null) {
            abort.run();
        }
    }

    /** Completes the request unless the container has ended it (then it completes it itself). */
    private synchronized void completeIfCurrent() {
        if (!gone) {
            try {
                async.complete();
            } catch (IllegalStateException e) {
                // completed already, or ended by the abort
            }
        }
    }

    private void finish(End why) {
        ended = true;
        if (waiting != null) {
            waiting.cancel();
        }
        hub.ended(this, why);
        if (why != End.CLIENT && blockedSince != 0) {
            // Bytes wait for a client that does not read: completing would wait for them; drop the connection.
            abortIfCurrent();
        }
        completeIfCurrent();
    }
}
