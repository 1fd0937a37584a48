package dev.kvstore.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Consumer;

/**
 * The live entries, sorted in {@link KeyOrder#CODE_POINTS} order, with the counters that go with them: keys, the
 * revision of the last applied write, and the bytes a compacted log would take. One thread changes it
 * ({@link #apply}, after the writes are durable); any number read it.
 *
 * <p>A group of decisions is applied under a write lock, and reads validate against that lock, so no read sees part
 * of a group, and so none sees part of a batch. {@link #replaceWith} swaps in a whole new state built aside
 * ({@link Builder}) the same way: readers see the old state or the new one, never a mix.
 *
 * <p>What lies behind these methods (today a skip list) is this class's own business: nothing else in the engine
 * touches the map.
 */
final class KeyIndex implements StateMachine.State {

    /** Held for writing while decisions are applied or the state is replaced; see the class comment. */
    private final StampedLock lock = new StampedLock();
    private volatile ConcurrentSkipListMap<String, Entry> map;
    /** Bytes the frames of the live entries take: what a compacted log holds, besides its REVISION frame. */
    private volatile long liveBytes;
    private volatile long revision;
    /** Keys in the map, counted, since the skip list takes time to count. */
    private volatile int size;

    KeyIndex(Builder built) {
        replaceWith(built);
    }

    /** The entry of {@code key}, or {@code null} when it has none. */
    @Override
    public Entry get(String key) {
        long stamp = lock.tryOptimisticRead();
        Entry e = map.get(key);
        if (!lock.validate(stamp)) {
            // Decisions were being applied meanwhile: read again once they are whole.
            stamp = lock.readLock();
            try {
                e = map.get(key);
            } finally {
                lock.unlockRead(stamp);
            }
        }
        return e;
    }

    /** The revision of the last applied write: every revision up to it is taken. */
    @Override
    public long revision() {
        return revision;
    }

    int size() {
        return size;
    }

    /** The size of a freshly compacted log: the live entries' frames, after the REVISION frame that keeps the counter. */
    long compactedBytes() {
        return liveBytes + (revision > 0 ? Frame.OVERHEAD_V2 : 0);
    }

    /**
     * Up to {@code limit} keys that start with {@code prefix}, from the first one after {@code after} (or from the
     * first one when {@code after} is {@code null}), all read from one state. The cost is that of the page.
     */
    Page list(String prefix, String after, int limit) {
        long stamp = lock.readLock();
        try {
            NavigableMap<String, Entry> tail = after == null || KeyOrder.CODE_POINTS.compare(after, prefix) < 0
                    ? map.tailMap(prefix, true) : map.tailMap(after, false);
            List<Map.Entry<String, Entry>> out = new ArrayList<>(Math.min(limit, 1024));
            for (Map.Entry<String, Entry> e : tail.entrySet()) {
                if (!e.getKey().startsWith(prefix)) {
                    break;
                }
                if (out.size() == limit) {
                    return new Page(out, true);
                }
                out.add(e);
            }
            return new Page(out, false);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /**
     * The entries in key order, weakly consistent: each one is a value the key had at some moment during the pass.
     * For compaction, which copies the log written meanwhile after them.
     */
    Iterable<Map.Entry<String, Entry>> entries() {
        return map.entrySet();
    }

    /** A copy of every live value; for tests and tools, not for serving. */
    Map<String, Value> values() {
        Map<String, Value> copy = new HashMap<>();
        map.forEach((k, e) -> copy.put(k, e.value()));
        return copy;
    }

    /** Applies the changes of durable decisions, in log order, as one step for readers. Single writer. */
    void apply(List<Decision> decisions) {
        long stamp = lock.writeLock();
        try {
            long live = liveBytes;
            int keys = size;
            long last = revision;
            for (Decision d : decisions) {
                for (Change c : d.changes()) {
                    Entry e = c.current();
                    Entry old = e == null ? map.remove(c.key()) : map.put(c.key(), e);
                    keys += (e == null && old != null ? -1 : 0) + (e != null && old == null ? 1 : 0);
                    live += liveDelta(c.key(), e == null ? null : e.value(), old);
                }
                last = Math.max(last, d.revision());
            }
            liveBytes = live;
            size = keys;
            revision = last;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** Replaces the whole state with {@code built}, as one step for readers. */
    void replaceWith(Builder built) {
        ConcurrentSkipListMap<String, Entry> sorted = built.sorted();
        long stamp = lock.writeLock();
        try {
            map = sorted;
            liveBytes = built.liveBytes;
            revision = built.revision;
            size = sorted.size();
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** How the live bytes change when {@code key} goes from {@code old} to {@code value} ({@code null}: none). */
    private static long liveDelta(String key, Value value, Entry old) {
        if (value == null && old == null) {
            return 0;
        }
        int keyBytes = Utf8.encodedLength(key);
        return (value == null ? 0 : Frame.setFrameLength(keyBytes, value))
                - (old == null ? 0 : Frame.setFrameLength(keyBytes, old.value()));
    }

    /**
     * Builds a state from log records in log order (recovery's replay, or a snapshot's), aside from any index that
     * is being read. Seed-format frames carry no revision: each takes the next one in log order, so the same log
     * always gives the same revisions. Version-2 frames carry theirs, and a REVISION frame raises the counter to
     * its value.
     */
    static final class Builder implements Consumer<LogRecord> {
        /**
         * A hash map while replaying, sorted once at the end: a frame costs a hash lookup instead of a walk of the
         * skip list, which made replay ten times slower with a million keys. It keeps the order keys first came in,
         * so that a compacted log or a snapshot, written in key order, needs no sort at all.
         */
        private LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
        private long liveBytes;
        private long revision;

        @Override
        public void accept(LogRecord record) {
            if (record instanceof LogRecord.Batch b) {
                for (LogRecord op : b.ops()) {
                    accept(op);
                }
            } else if (record instanceof LogRecord.Set r) {
                long rev = next(r.revision());
                long framed = r.createRevision();
                // A version-2 frame names its creation revision; a seed frame creates the key unless it existed.
                Entry old = entries.put(r.key(), Entry.of(r.value(), rev, framed != 0 ? framed : rev, r.lease()));
                if (framed == 0 && old != null) {
                    entries.put(r.key(), Entry.of(r.value(), rev, old.createRevision(), r.lease()));
                }
                liveBytes += liveDelta(r.key(), r.value(), old);
            } else if (record instanceof LogRecord.Delete r) {
                next(r.revision());
                liveBytes += liveDelta(r.key(), null, entries.remove(r.key()));
            } else {
                revision = Math.max(revision, ((LogRecord.Revision) record).revision());
            }
        }

        /** The revision counter after the records so far. */
        long revision() {
            return revision;
        }

        private long next(long framed) {
            long rev = framed != 0 ? framed : revision + 1;
            revision = Math.max(revision, rev);
            return rev;
        }

        /** The entries as a skip list: sorted once (unless they came in order), then built bottom-up in one pass. */
        private ConcurrentSkipListMap<String, Entry> sorted() {
            @SuppressWarnings("unchecked")
            Map.Entry<String, Entry>[] sorted = entries.entrySet().toArray(new Map.Entry[0]);
            entries = new LinkedHashMap<>();
            if (!inOrder(sorted)) {
                Arrays.parallelSort(sorted, (a, b) -> KeyOrder.CODE_POINTS.compare(a.getKey(), b.getKey()));
            }
            return new ConcurrentSkipListMap<>(new SortedEntries(sorted));
        }

        private static boolean inOrder(Map.Entry<String, Entry>[] entries) {
            for (int i = 1; i < entries.length; i++) {
                if (KeyOrder.CODE_POINTS.compare(entries[i - 1].getKey(), entries[i].getKey()) > 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Entries already in {@link KeyOrder#CODE_POINTS} order, as the {@link java.util.SortedMap} that
     * {@link ConcurrentSkipListMap}'s copy constructor builds from in one pass; it reads only {@link #comparator()}
     * and the entries.
     */
    // Inside a map class, Entry means Map.Entry: the store's Entry is named in full.
    private static final class SortedEntries extends java.util.AbstractMap<String, dev.kvstore.store.Entry>
            implements java.util.SortedMap<String, dev.kvstore.store.Entry> {
        private final Map.Entry<String, dev.kvstore.store.Entry>[] sorted;

        SortedEntries(Map.Entry<String, dev.kvstore.store.Entry>[] sorted) {
            this.sorted = sorted;
        }

        @Override
        public java.util.Comparator<? super String> comparator() {
            return KeyOrder.CODE_POINTS;
        }

        @Override
        public java.util.Set<Map.Entry<String, dev.kvstore.store.Entry>> entrySet() {
            return new java.util.AbstractSet<>() {
                @Override
                public java.util.Iterator<Map.Entry<String, dev.kvstore.store.Entry>> iterator() {
                    return Arrays.asList(sorted).iterator();
                }

                @Override
                public int size() {
                    return sorted.length;
                }
            };
        }

        @Override
        public java.util.SortedMap<String, dev.kvstore.store.Entry> subMap(String from, String to) {
            throw new UnsupportedOperationException();
        }

        @Override
        public java.util.SortedMap<String, dev.kvstore.store.Entry> headMap(String to) {
            throw new UnsupportedOperationException();
        }

        @Override
        public java.util.SortedMap<String, dev.kvstore.store.Entry> tailMap(String from) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String firstKey() {
            return sorted[0].getKey();
        }

        @Override
        public String lastKey() {
            return sorted[sorted.length - 1].getKey();
        }
    }
}
