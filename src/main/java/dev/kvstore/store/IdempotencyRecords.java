package dev.kvstore.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The idempotency records the store remembers, in the order of their revisions, within three bounds: at most
 * {@code maxKeys} records, at most {@code maxBytes} of them (as they take the log), and none older than
 * {@code retention} behind the latest record time seen (the <i>horizon</i>). Records are only ever dropped from the
 * oldest end, and {@link #floor} remembers the revision of the last one dropped, so the set kept is a pure function
 * of the records inserted and the horizon, whatever order a compacted log replays them in.
 *
 * <p>Inserting is the apply step's (the writer thread, or replay); it reads no clock: times come from the records,
 * decided before their commands were queued. {@link #get} may be called from any thread. {@link Pending} lets the
 * writer decide a group of commands against the records as the group's earlier decisions will leave them, drops
 * included, so that a group decides exactly as one command at a time would.
 */
final class IdempotencyRecords {

    private final IdempotencyOptions limits;
    private final Map<IdempotencyRecord.Id, IdempotencyRecord> byId = new ConcurrentHashMap<>();
    /** Oldest first, by revision; changed and iterated under this object's lock or on the writer thread. */
    private final ArrayDeque<IdempotencyRecord> queue = new ArrayDeque<>();
    private volatile long bytes;
    private long floor;
    private long horizon = Long.MIN_VALUE;

    IdempotencyRecords(IdempotencyOptions limits) {
        this.limits = limits;
    }

    IdempotencyOptions limits() {
        return limits;
    }

    /** The record of {@code scope}'s {@code key}, or {@code null}. */
    IdempotencyRecord get(String scope, String key) {
        return byId.get(new IdempotencyRecord.Id(scope, key));
    }

    int size() {
        return byId.size();
    }

    long bytes() {
        return bytes;
    }

    /**
     * Adds {@code r}, unless it was dropped already (its revision is at or below the floor) or is here already (a
     * compacted log replays records of its copy and of the log after it), then drops from the oldest end.
     */
    synchronized void insert(IdempotencyRecord r) {
        if (r.revision() <= floor || byId.containsKey(r.id())) {
            return;
        }
        queue.addLast(r);
        byId.put(r.id(), r);
        bytes += r.bytes();
        horizon = Math.max(horizon, r.timeMillis());
        while (!queue.isEmpty() && mustDrop(queue.size(), bytes, horizon, queue.peekFirst())) {
            IdempotencyRecord old = queue.removeFirst();
            byId.remove(old.id());
            bytes -= old.bytes();
            floor = old.revision();
        }
    }

    /** Raises the floor and the horizon to what a compacted log says they were, dropping what is below. */
    synchronized void floor(long floor, long horizon) {
        this.floor = Math.max(this.floor, floor);
        this.horizon = Math.max(this.horizon, horizon);
        while (!queue.isEmpty() && queue.peekFirst().revision() <= this.floor) {
            IdempotencyRecord old = queue.removeFirst();
            byId.remove(old.id());
            bytes -= old.bytes();
        }
    }

    /** Holds {@code other}'s records, floor and horizon instead of its own (a replica that loaded a snapshot). */
    synchronized void replaceWith(IdempotencyRecords other) {
        Copy copy = other.copy();
        byId.clear();
        queue.clear();
        long total = 0;
        for (IdempotencyRecord r : copy.records()) {
            queue.addLast(r);
            byId.put(r.id(), r);
            total += r.bytes();
        }
        bytes = total;
        floor = copy.floor();
        horizon = copy.horizon();
    }

    /** Whether the oldest record must go while this many records of these bytes are kept. */
    private boolean mustDrop(int count, long totalBytes, long latest, IdempotencyRecord oldest) {
        return count > limits.maxKeys() || totalBytes > limits.maxBytes()
                || latest - oldest.timeMillis() >= limits.retention().toMillis();
    }

    /** Everything a copy of the state needs, taken at one moment: for compaction and snapshots. */
    record Copy(long floor, long horizon, List<IdempotencyRecord> records) {
    }

    synchronized Copy copy() {
        return new Copy(floor, horizon, new ArrayList<>(queue));
    }

    /** Bytes the records take in a freshly compacted log: a RECORD frame each, and the RECORD_FLOOR frame. */
    long compactedBytes() {
        int n = byId.size();
        return n == 0 ? 0 : Frame.OVERHEAD_V2 + Frame.BATCH_OP_HEADER + 2L * Frame.NUMBER_BYTES
                + (long) n * Frame.OVERHEAD_V2 + bytes;
    }

    /**
     * The records as a group of decisions will leave them, on the writer thread: records the group added, and the
     * oldest ones those additions drop, exactly as {@link #insert} will drop them.
     */
    final class Pending {
        private final Map<IdempotencyRecord.Id, IdempotencyRecord> added = new HashMap<>();
        private final ArrayDeque<IdempotencyRecord> addedInOrder = new ArrayDeque<>();
        private Iterator<IdempotencyRecord> kept;
        private IdempotencyRecord oldest;
        private int count;
        private long pendingBytes;
        private long latest;
        /** Records up to this revision are dropped by the group's additions. */
        private long droppedUpTo;

        Pending() {
            reset();
        }

        /** Forgets the group: after it was applied, or failed. */
        void reset() {
            added.clear();
            addedInOrder.clear();
            kept = null;
            oldest = null;
            count = queue.size();
            pendingBytes = bytes;
            latest = horizon;
            droppedUpTo = floor;
        }

        IdempotencyRecord get(String scope, String key) {
            IdempotencyRecord.Id id = new IdempotencyRecord.Id(scope, key);
            IdempotencyRecord r = added.get(id);
            if (r == null) {
                r = byId.get(id);
            }
            return r != null && r.revision() > droppedUpTo ? r : null;
        }

        void add(IdempotencyRecord r) {
            added.put(r.id(), r);
            addedInOrder.addLast(r);
            count++;
            pendingBytes += r.bytes();
            latest = Math.max(latest, r.timeMillis());
            for (IdempotencyRecord h = head(); h != null && mustDrop(count, pendingBytes, latest, h); h = head()) {
                count--;
                pendingBytes -= h.bytes();
                droppedUpTo = h.revision();
                oldest = null;
            }
        }

        /** The oldest record the group has not dropped: the table's, then the group's own, or {@code null}. */
        private IdempotencyRecord head() {
            if (oldest == null) {
                if (kept == null) {
                    kept = queue.iterator();
                }
                oldest = kept.hasNext() ? kept.next() : addedInOrder.pollFirst();
            }
            return oldest;
        }
    }
}
