package dev.kvstore.api;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * How many request body bytes the requests in flight may hold together ({@code kv.limits.max-inflight-bytes}), so
 * that memory is bounded by configuration rather than by load. A request takes its share before its body is read
 * and gives it back when it is answered; one that finds no room within {@code kv.limits.inflight-wait} is refused.
 * Counted in KiB, first come first served, so that a large body is not starved by a stream of small ones.
 */
final class InflightBudget {

    private static final int UNIT = 1024;

    private final Semaphore units;
    private final int capacity;
    private final long waitNanos;

    InflightBudget(long bytes, Duration wait) {
        this.capacity = (int) Math.min(Integer.MAX_VALUE, Math.max(1, bytes / UNIT));
        this.units = new Semaphore(capacity, true);
        this.waitNanos = wait.toNanos();
    }

    /** The share of a body of this many bytes: at least one unit, at most the whole budget (it then runs alone). */
    int share(long bytes) {
        return (int) Math.min(capacity, Math.max(1, (bytes + UNIT - 1) / UNIT));
    }

    /** Takes a share, waiting up to the configured time; false when there was no room. */
    boolean take(int share) throws InterruptedException {
        return units.tryAcquire(share, waitNanos, TimeUnit.NANOSECONDS);
    }

    void giveBack(int share) {
        units.release(share);
    }
}
