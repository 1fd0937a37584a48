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
 * lateness below. A node that stops leading {@link #stop stops}: its deadlines are forgotten, and an expiry its
 * thread was still submitting is never retried by it (the term guard of cluster mode refuses it on every replica).
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
        /** When it first became due while expiring and retried: {@code at} moves on with each retry. */
        long overdueFrom;
        boolean expiring;
        boolean retry;

        Deadline(long ttlMillis) {
            this.ttlMillis = ttlMillis;
            this.ttlNanos = TimeUnit.MILLISECONDS.toNanos(ttlMillis);
        }

        /** The moment it became due (guarded by the object). */
        long dueSince(long now) {
            return expiring && overdueFrom != 0 ? overdueFrom : Math.min(at, now);
        }
    }

    /** A moment to look at a lease again; stale ones (the deadline moved) are skipped. */
    private record Due(long at, long lease) {
    }

    /** Guarded by this object; each start's thread keeps the one it started with. */
    private Expirer expirer;
    private final LongSupplier nanoTime;
    private final LongConsumer onExpired;
    private final Map<Long, Deadline> deadlines = new ConcurrentHashMap<>();
    /** Guarded by this object. */
    private final PriorityQueue<Due> queue = new PriorityQueue<>((a, b) -> Long.compare(a.at - b.at, 0));
    private final AtomicLong expired = new AtomicLong();
    private volatile boolean started;
    private volatile boolean closed;
    /** Counts starts and stops: a thread, or a retry, of an earlier one does nothing. Guarded by this object. */
    private long generation;
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
     * As {@link #start()}, expiring leases through {@code by} until the next {@link #stop}: a leader's expiries,
     * proposed in its term.
     */
    synchronized void start(Expirer by) {
        if (started || closed) {
            return;
        }
        this.expirer = by;
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
                d.expiring = false;
                d.retry = false;
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
        long g = ++generation;
        Expirer e = expirer;
        if (thread) {
            this.thread = new Thread(() -> run(g, e), "kv-lease-expiry");
            this.thread.setDaemon(true);
            this.thread.start();
        }
    }

    /**
     * Stops counting, as a node that no longer leads: the queue is dropped and the thread ends (without waiting for
     * an expiry it is submitting). Deadlines stay known, and {@link #start} gives each its whole time to live again.
     * Idempotent.
     */
    synchronized void stop() {
        if (!started) {
            return;
        }
        started = false;
        generation++;
        queue.clear();
        thread = null;
        notifyAll();
    }

    /** Forgets every deadline and knows these leases instead: the state was replaced by a snapshot. */
    synchronized void reload(Map<Long, Long> leases, List<Long> orphans) {
        deadlines.clear();
        queue.clear();
        load(leases, orphans);
    }

    /** Expires, on the caller's thread, every lease due now. */
    void expireDue() {
        List<Long> due;
        long g;
        Expirer e;
        synchronized (this) {
            due = due(nanoTime.getAsLong());
            g = generation;
            e = expirer;
        }
        expire(due, g, e);
    }

    /**
     * How far behind expiry is: the time since the earliest deadline that passed and whose lease has not expired
     * yet (being expired, or refused by the log and tried again), in milliseconds; 0 when none is overdue or expiry
     * has not started.
     */
    long overdueMillis() {
        if (!started) {
            return 0;
        }
        long now = nanoTime.getAsLong();
        long worst = 0;
        for (Deadline d : deadlines.values()) {
            synchronized (d) {
                if (d.expiring || d.at - now < 0) {
                    worst = Math.max(worst, now - d.dueSince(now));
                }
            }
        }
        return TimeUnit.NANOSECONDS.toMillis(worst);
    }

    /** Whether the thread that expires leases runs (false before the start, after a stop, and once it died). */
    synchronized boolean running() {
        return started && thread != null && thread.isAlive();
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

    private void run(long g, Expirer e) {
        while (true) {
            List<Long> due = takeDue(g);
            if (due == null) {
                return;
            }
            expire(due, g, e);
        }
    }

    /**
     * Waits for the earliest deadline; the leases due then, taken to expire; {@code null} once closed or stopped
     * (generation {@code g} is over).
     */
    private synchronized List<Long> takeDue(long g) {
        while (!closed && generation == g) {
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
                    if (!d.expiring) {
                        d.overdueFrom = d.at;
                    }
                    d.expiring = true;
                    d.retry = false;
                    out.add(x.lease);
                }
            }
        }
        return out;
    }

    /** Queues every expiry in {@code due}, then waits for each: they go to the log together. */
    private void expire(List<Long> due, long g, Expirer expirer) {
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
                retry(lease, d, g);
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
                    retry(lease, d, g);
                }
                continue;
            }
            if (done) {
                expired.incrementAndGet();
                onExpired.accept(Math.max(0, nanoTime.getAsLong() - deadlinesOf.get(i)));
            }
        }
    }

    /**
     * The log refuses writes for now: the lease stays expired-pending, and is tried again; unless expiry stopped or
     * restarted since generation {@code g} took it (decided under this object's lock, which {@link #start} and
     * {@link #stop} hold, so that a new leader's deadlines are never moved by an old term's retry).
     */
    private synchronized void retry(long lease, Deadline d, long g) {
        if (generation != g || !started || deadlines.get(lease) != d) {
            return;
        }
        long at;
        synchronized (d) {
            d.retry = true;
            at = d.at = nanoTime.getAsLong() + RETRY_NANOS;
        }
        schedule(at, lease);
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
            Threads.joinUninterruptibly(t);
        }
    }
}
