package dev.kvstore.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * The leases' deadlines and the thread that expires them: soft state of the node that runs expiry, never part of
 * the replicated state, and measured on the monotonic clock ({@link System#nanoTime}), never on the wall clock.
 *
 * <p><b>Never early.</b> A deadline is set to the time to live from a moment after the grant or keepalive took
 * effect, so after the client sent it: a lease never expires before its time to live has passed since the client
 * sent the last keepalive that succeeded. A keepalive and the expiry thread decide under the deadline's lock: once
 * the thread has taken a lease to expire it, a keepalive answers that the lease is gone, and a keepalive that
 * extended the deadline first is never undone by an expiry. A keepalive that comes after the deadline passed is
 * refused even before the expiry is applied.
 *
 * <p><b>Restarts.</b> Deadlines are not in the log (a keepalive writes nothing): when expiry {@link #start starts}
 * (once the service takes requests again after a restart, or, in a cluster, once a node becomes leader), every
 * lease gets its whole time to live from that moment. So nothing expires early after a restart, whatever the
 * clocks did, and a lease that nobody keeps alive is gone at most its time to live after the start, plus the
 * lateness below.
 *
 * <p><b>On time.</b> The thread sleeps until the earliest deadline and then expires the lease through the normal
 * write path (a {@link Command.RevokeLease} that deletes its keys in one revision); the leases due at one moment
 * are queued together, so they share forces. Its lateness is the wake-up's and the write's, milliseconds in steady
 * state. An expiry that cannot be written (the log refuses writes) is tried
 * again every {@link #RETRY_NANOS}; meanwhile the lease answers as expired.
 */
final class LeaseExpiry implements LeaseTable.Listener, AutoCloseable {

    /**
     * Queues the expiry of {@code lease} on the write path without waiting for it, so that the expiries due at one
     * moment share group commits (one force for many, not one each); the answer waits for it.
     */
    interface Expirer {
        Expiry submit(long lease);
    }

    /** A queued expiry. */
    interface Expiry {
        /** Waits for it; returns whether it expired the lease now (false: it was gone already). */
        boolean await();
    }

    static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** One lease's deadline; its fields are guarded by the object itself. */
    private static final class Deadline {
        final long ttlNanos;
        final long ttlMillis;
        long at;
        boolean expiring;
        boolean retry;

        Deadline(long ttlMillis) {
            this.ttlMillis = ttlMillis;
            this.ttlNanos = TimeUnit.MILLISECONDS.toNanos(ttlMillis);
        }
    }

    /** A moment to look at a lease again; stale ones (the deadline moved) are skipped. */
    private record Due(long at, long lease) {
    }

    private final Expirer expirer;
    private final LongSupplier nanoTime;
    private final LongConsumer onExpired;
    private final Map<Long, Deadline> deadlines = new ConcurrentHashMap<>();
    /** Guarded by this object. */
    private final PriorityQueue<Due> queue = new PriorityQueue<>((a, b) -> Long.compare(a.at - b.at, 0));
    private final AtomicLong expired = new AtomicLong();
    private volatile boolean started;
    private volatile boolean closed;
    private Thread thread;

    /**
     * @param onExpired told of each expiry with its lateness in nanoseconds: from the deadline to the moment the
     *                  expiry was applied
     */
    LeaseExpiry(Expirer expirer, LongSupplier nanoTime, LongConsumer onExpired) {
        this.expirer = expirer;
        this.nanoTime = nanoTime;
        this.onExpired = onExpired;
    }

    /** The leases the state holds when the store opens, and keys attached to leases it does not (expired at once). */
    void load(Map<Long, Long> leases, List<Long> orphans) {
        leases.forEach(this::granted);
        for (long lease : orphans) {
            granted(lease, 0);
        }
    }

    @Override
    public void granted(long lease, long ttlMillis) {
        Deadline d = new Deadline(ttlMillis);
        long at;
        synchronized (d) {
            at = d.at = nanoTime.getAsLong() + d.ttlNanos;
        }
        deadlines.put(lease, d);
        if (started) {
            schedule(at, lease);
        }
    }

    @Override
    public void ended(long lease) {
        deadlines.remove(lease);
    }

    /** Starts counting: every lease gets its whole time to live from now. Idempotent. */
    void start() {
        start(true);
    }

    /**
     * As {@link #start()}; without {@code thread}, nothing expires but through {@link #expireDue}, which a test
     * calls at the moments of its own clock.
     */
    synchronized void start(boolean thread) {
        if (started || closed) {
            return;
        }
        long now = nanoTime.getAsLong();
        for (Deadline d : deadlines.values()) {
            synchronized (d) {
                d.at = now + d.ttlNanos;
            }
        }
        // Between the passes: a lease granted meanwhile either is in the second pass or sees the flag and
        // schedules itself; a keepalive meanwhile finds a deadline a whole time to live away.
        started = true;
        for (Map.Entry<Long, Deadline> e : deadlines.entrySet()) {
            synchronized (e.getValue()) {
                queue.add(new Due(e.getValue().at, e.getKey()));
            }
        }
        if (thread) {
            this.thread = new Thread(this::run, "kv-lease-expiry");
            this.thread.setDaemon(true);
            this.thread.start();
        }
    }

    /** Expires, on the caller's thread, every lease due now. */
    void expireDue() {
        List<Long> due;
        synchronized (this) {
            due = due(nanoTime.getAsLong());
        }
        expire(due);
    }

    boolean started() {
        return started;
    }

    long expired() {
        return expired.get();
    }

    /**
     * Renews {@code lease} for its whole time to live from now; returns the time to live in milliseconds, or -1
     * when the lease is gone or its deadline has passed.
     */
    long keepAlive(long lease) {
        Deadline d = deadlines.get(lease);
        if (d == null) {
            return -1;
        }
        long at;
        synchronized (d) {
            long now = nanoTime.getAsLong();
            if (d.expiring || started && d.at - now <= 0) {
                return -1;
            }
            at = d.at = now + d.ttlNanos;
        }
        if (started) {
            schedule(at, lease);
        }
        return d.ttlMillis;
    }

    /** Milliseconds until {@code lease} expires (its whole time to live before expiry starts), or -1 when gone. */
    long remainingMillis(long lease) {
        Deadline d = deadlines.get(lease);
        if (d == null) {
            return -1;
        }
        synchronized (d) {
            if (!started) {
                return d.ttlMillis;
            }
            return d.expiring ? 0 : Math.max(0, TimeUnit.NANOSECONDS.toMillis(d.at - nanoTime.getAsLong()));
        }
    }

    private synchronized void schedule(long at, long lease) {
        Due due = new Due(at, lease);
        queue.add(due);
        if (queue.peek() == due) {
            notifyAll();
        }
    }

    private void run() {
        while (true) {
            List<Long> due = takeDue();
            if (due == null) {
                return;
            }
            expire(due);
        }
    }

    /** Waits for the earliest deadline; the leases due then, taken to expire; {@code null} once closed. */
    private synchronized List<Long> takeDue() {
        while (!closed) {
            Due next = queue.peek();
            long now = nanoTime.getAsLong();
            if (next != null && next.at - now <= 0) {
                return due(now);
            }
            try {
                if (next == null) {
                    wait();
                } else {
                    TimeUnit.NANOSECONDS.timedWait(this, next.at - now);
                }
            } catch (InterruptedException e) {
                return null;
            }
        }
        return null;
    }

    private List<Long> due(long now) {
        List<Long> out = new ArrayList<>();
        while (!queue.isEmpty() && queue.peek().at - now <= 0) {
            Due x = queue.poll();
            Deadline d = deadlines.get(x.lease);
            if (d == null) {
                continue;
            }
            synchronized (d) {
                if (d.at - now <= 0 && (!d.expiring || d.retry)) {
                    d.expiring = true;
                    d.retry = false;
                    out.add(x.lease);
                }
            }
        }
        return out;
    }

    /** Queues every expiry in {@code due}, then waits for each: they go to the log together. */
    private void expire(List<Long> due) {
        List<Long> leases = new ArrayList<>(due.size());
        List<Long> deadlinesOf = new ArrayList<>(due.size());
        List<Expiry> queued = new ArrayList<>(due.size());
        for (long lease : due) {
            Deadline d = deadlines.get(lease);
            if (d == null) {
                continue;
            }
            long deadline;
            synchronized (d) {
                deadline = d.at;
            }
            try {
                queued.add(expirer.submit(lease));
            } catch (RuntimeException e) {
                retry(lease, d);
                continue;
            }
            leases.add(lease);
            deadlinesOf.add(deadline);
        }
        for (int i = 0; i < queued.size(); i++) {
            long lease = leases.get(i);
            boolean done;
            try {
                done = queued.get(i).await();
            } catch (RuntimeException e) {
                Deadline d = deadlines.get(lease);
                if (d != null) {
                    retry(lease, d);
                }
                continue;
            }
            if (done) {
                expired.incrementAndGet();
                onExpired.accept(Math.max(0, nanoTime.getAsLong() - deadlinesOf.get(i)));
            }
        }
    }

    /** The log refuses writes for now: the lease stays expired-pending, and is tried again. */
    private void retry(long lease, Deadline d) {
        long at;
        synchronized (d) {
            d.retry = true;
            at = d.at = nanoTime.getAsLong() + RETRY_NANOS;
        }
        if (deadlines.get(lease) == d) {
            schedule(at, lease);
        }
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            notifyAll();
            t = thread;
        }
        if (t != null) {
            boolean interrupted = false;
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
