package dev.kvstore.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;

/**
 * The live entries, sorted in {@link KeyOrder#CODE_POINTS} order (the order of their UTF-8 bytes), with the counters
 * that go with them: keys, the revision of the last applied write, and the bytes a compacted log would take. One
 * thread changes it ({@link #apply}, after the writes are durable); any number read it.
 *
 * <p>The whole state is one immutable value behind one volatile field: a {@link KeyTree} root and the counters. A
 * group of decisions is applied to a copy-on-write edit of the tree and published with one write, so a reader,
 * which takes no lock, sees a group whole or not at all, and so a batch; a listing walks one state. {@link #replaceWith}
 * swaps in a whole new state built aside ({@link Builder}) the same way.
 *
 * <p>Keys are kept as UTF-8 bytes and values as their frames store them: a {@code String} is made only for what is
 * read. The index applies the writer's frames ({@link Frame#visit}), as replay reads the log's, so the two cannot
 * disagree about what a frame means.
 *
 * <p>The lease a key is attached to is kept aside, in a second tree of the same kind that holds only the keys with a
 * lease (its "number" is the lease id), published in the same state: keys without a lease cost no more than before
 * leases existed, and a reader sees an entry and its lease from one state.
 */
final class KeyIndex implements StateMachine.State {

    /** One published state; never changed. */
    record State(KeyTree.Node root, int size, long liveBytes, long revision, KeyTree.Node leased, int leasedKeys) {

        /** The entry of the key {@code k}, with its lease, or {@code null}. */
        Entry get(byte[] k) {
            Entry e = KeyTree.get(root, k);
            return e == null || leasedKeys == 0 ? e : e.withLease(leaseOf(k));
        }

        /** The lease the key {@code k} is attached to, or 0. */
        long leaseOf(byte[] k) {
            if (leasedKeys == 0) {
                return 0;
            }
            Entry l = KeyTree.get(leased, k);
            return l == null ? 0 : ((Value.Int) l.value()).value();
        }
    }

    private volatile State state;

    KeyIndex(Builder built) {
        replaceWith(built);
    }

    /** The entry of {@code key}, or {@code null} when it has none. */
    @Override
    public Entry get(String key) {
        return state.get(bytes(key));
    }

    /** The revision of the last applied write: every revision up to it is taken. */
    @Override
    public long revision() {
        return state.revision;
    }

    int size() {
        return state.size;
    }

    /** The size of a freshly compacted log: the live entries' frames, after the REVISION frame that keeps the counter. */
    long compactedBytes() {
        State s = state;
        return s.liveBytes + (s.revision > 0 ? Frame.OVERHEAD_V2 : 0);
    }

    /**
     * Up to {@code limit} keys that start with {@code prefix}, from the first one after {@code after} (or from the
     * first one when {@code after} is {@code null}), all read from one state, with that state's revision. The cost is
     * that of the page.
     */
    Page list(String prefix, String after, int limit) {
        State s = state;
        byte[] p = bytes(prefix);
        byte[] a = after == null ? null : bytes(after);
        boolean fromPrefix = a == null || Arrays.compareUnsigned(a, p) < 0;
        KeyTree.Cursor c = new KeyTree.Cursor(s.root, fromPrefix ? p : a, fromPrefix);
        List<Map.Entry<String, Entry>> out = new ArrayList<>(Math.min(limit, 1024));
        for (; c.valid() && c.startsWith(p); c.next()) {
            if (out.size() == limit) {
                return new Page(out, true, s.revision);
            }
            Entry e = c.leaf().entry(c.index());
            String key = c.leaf().key(c.index());
            out.add(Map.entry(key, s.leasedKeys == 0 ? e : e.withLease(s.leaseOf(bytes(key)))));
        }
        return new Page(out, false, s.revision);
    }

    /** The entries of one state, in key order, as their frames store them; for compaction and snapshots. */
    State snapshot() {
        return state;
    }

    /** Every entry of {@code snapshot} in key order. */
    static void forEach(State snapshot, EntrySink sink) throws java.io.IOException {
        for (KeyTree.Cursor c = new KeyTree.Cursor(snapshot.root, null, true); c.valid(); c.next()) {
            KeyTree.Leaf leaf = c.leaf();
            int i = c.index();
            long lease = snapshot.leasedKeys == 0 ? 0
                    : snapshot.leaseOf(Arrays.copyOfRange(leaf.keys, leaf.keyFrom(i), leaf.keyTo(i)));
            sink.entry(leaf.keys, leaf.keyFrom(i), leaf.keyTo(i) - leaf.keyFrom(i), leaf.encoding(i), leaf.bits(i),
                    leaf.text(i), leaf.revision(i), leaf.createRevision(i), lease);
        }
    }

    /** Receives entries as the index keeps them. */
    @FunctionalInterface
    interface EntrySink {
        void entry(byte[] keys, int keyAt, int keyLen, byte encoding, long bits, byte[] text, long revision,
                   long createRevision, long lease) throws java.io.IOException;
    }

    /** A copy of every live value; for tests and tools, not for serving. */
    Map<String, Value> values() {
        Map<String, Value> copy = new HashMap<>();
        for (KeyTree.Cursor c = new KeyTree.Cursor(state.root, null, true); c.valid(); c.next()) {
            copy.put(c.leaf().key(c.index()), c.leaf().entry(c.index()).value());
        }
        return copy;
    }

    /**
     * Applies the frames of durable decisions, in log order, as one step for readers. Single writer. A lease's end
     * names no key in its frame: the keys it deletes are the decision's, which the state machine found attached to
     * it (replay finds the same ones in the {@link LeaseTable}).
     */
    void apply(List<Decision> decisions) {
        Applier a = new Applier(state);
        for (Decision d : decisions) {
            if (d.writes()) {
                Frame.visit(d.frame(), 0, a);
                if (d.ended() != 0) {
                    for (Change c : d.changes()) {
                        byte[] k = bytes(c.key());
                        a.delete(k, 0, k.length, d.revision());
                    }
                }
                a.revision = Math.max(a.revision, d.revision());
            }
        }
        state = a.state();
    }

    /** Replaces the whole state with {@code built}, as one step for readers. */
    void replaceWith(Builder built) {
        state = built.state();
    }

    /** Keys and prefixes as the index orders them; a string with an unpaired surrogate (never a key) gets '?' there. */
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Applies frame operations to an edit of the tree, keeping the counters. */
    private static final class Applier implements Frame.Ops {
        private final KeyTree.Edit edit;
        private final KeyTree.Edit leased;
        private int size;
        private long liveBytes;
        private int leasedKeys;
        long revision;

        Applier(State from) {
            edit = new KeyTree.Edit(from.root);
            leased = new KeyTree.Edit(from.leased);
            size = from.size;
            liveBytes = from.liveBytes;
            leasedKeys = from.leasedKeys;
            revision = from.revision;
        }

        @Override
        public void set(byte[] buf, int keyAt, int keyLen, byte encoding, int valueAt, int valueLen, long rev,
                        long createRevision, long lease) {
            byte[] text = Frame.isText(encoding) ? Arrays.copyOfRange(buf, valueAt, valueAt + valueLen) : null;
            long bits = text == null ? Frame.numberBits(buf, valueAt) : 0;
            long old = edit.set(buf, keyAt, keyLen, encoding, bits, text, rev, createRevision);
            size += old < 0 ? 1 : 0;
            liveBytes += Frame.OVERHEAD_V2 + keyLen + valueLen - Math.max(old, 0);
            revision = Math.max(revision, rev);
            if (lease != 0) {
                leasedKeys += leased.set(buf, keyAt, keyLen, Frame.ENCODING_I64, lease, null, rev, rev) < 0 ? 1 : 0;
            } else {
                detach(buf, keyAt, keyLen);
            }
        }

        @Override
        public void delete(byte[] buf, int keyAt, int keyLen, long rev) {
            long old = edit.delete(buf, keyAt, keyLen);
            if (old >= 0) {
                size--;
                liveBytes -= old;
            }
            revision = Math.max(revision, rev);
            detach(buf, keyAt, keyLen);
        }

        private void detach(byte[] buf, int keyAt, int keyLen) {
            if (leasedKeys > 0 && leased.delete(buf, keyAt, keyLen) >= 0) {
                leasedKeys--;
            }
        }

        @Override
        public void revision(long rev) {
            revision = Math.max(revision, rev);
        }

        State state() {
            return new State(edit.finish(), size, liveBytes, revision, leased.finish(), leasedKeys);
        }
    }

    /**
     * Builds a state from a log's frames in log order (recovery's replay, or a snapshot's), aside from any index
     * that is being read. Seed-format frames carry no revision: each takes the next one in log order, so the same log
     * always gives the same revisions. Version-2 frames carry theirs, and a REVISION frame raises the counter to its
     * value.
     *
     * <p>Frames come in runs straight from the scanner's buffer ({@link LogScanner.FrameRuns}), and are applied to a
     * {@link ReplayTable} on a thread of their own while the scanner reads and checks the next run: replay uses both
     * cores. The tree is built once at the end, from the table in key order.
     *
     * <p>The same pass rebuilds the rest of the state, in log order: the leases ({@link LeaseTable}), the keys attached
     * to them (in the table, which hands them to the lease table at the end), and the idempotency records
     * ({@link IdempotencyRecords}). A lease's end deletes the keys attached to it at that point of the log, as the
     * write that ended it did; a grant and a record raise the revision counter to their frame's. No key is made into a
     * {@code String} during the pass.
     */
    static final class Builder implements LogScanner.FrameRuns, Frame.Ops, Consumer<LogRecord> {
        /** Buffers in flight between the scanner and the builder's thread, besides the one the scanner reads into. */
        private static final int SPARE_BUFFERS = 2;
        private static final Run END = new Run(null, 0, 0);

        private final ReplayTable table = new ReplayTable();
        /** Where the frames of a window start (see {@link #applyRun}). */
        private final int[] window = new int[ReplayTable.WINDOW];
        /** Reads ahead the table's slots and records for the keys of a window's frames. */
        private final Frame.Ops readAhead = new Frame.Ops() {
            @Override
            public void set(byte[] buf, int keyAt, int keyLen, byte encoding, int valueAt, int valueLen, long rev,
                            long createRevision, long lease) {
                table.touch(buf, keyAt, keyLen);
            }

            @Override
            public void delete(byte[] buf, int keyAt, int keyLen, long rev) {
                table.touch(buf, keyAt, keyLen);
            }

            @Override
            public void revision(long rev) {
            }
        };
        final LeaseTable leases;
        final IdempotencyRecords records;
        private long revision;
        /** Bytes of frames the scan said would come, 0 when it did not say. */
        private long expected;
        private BlockingQueue<Run> runs;
        private BlockingQueue<byte[]> free;
        private int buffers;
        private Thread thread;
        private volatile Throwable failure;

        private record Run(byte[] buf, int from, int to) {
        }

        /** A builder of the keys alone, with the default bounds on idempotency records (for tests and tools). */
        Builder() {
            this(new LeaseTable(), new IdempotencyRecords(IdempotencyOptions.DEFAULT));
        }

        Builder(LeaseTable leases, IdempotencyRecords records) {
            this.leases = leases;
            this.records = records;
        }

        /** A record, as a frame (for tests and tools that make records rather than logs). */
        @Override
        public void accept(LogRecord record) {
            end();
            Frame.visit(Frame.encodeRecord(record), 0, this);
        }

        @Override
        public void expect(long bytes) {
            expected = bytes;
        }

        @Override
        public byte[] frames(byte[] buf, int from, int to, long offset, int count) {
            if (thread == null) {
                // As many keys as frames at the first run's size, at most: the table then rarely grows.
                table.expect(expected / Math.max(1, (to - from) / count));
                start();
            }
            rethrowFailure();
            put(runs, new Run(buf, from, to));
            byte[] next = free.poll();
            if (next == null && buffers < SPARE_BUFFERS) {
                buffers++;
                return new byte[buf.length];
            }
            return next != null ? next : take(free);
        }

        /** Waits until the builder's thread has applied every run. */
        @Override
        public void end() {
            if (thread == null) {
                return;
            }
            put(runs, END);
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            thread = null;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            rethrowFailure();
        }

        private void start() {
            runs = new ArrayBlockingQueue<>(SPARE_BUFFERS + 2);
            free = new ArrayBlockingQueue<>(SPARE_BUFFERS + 2);
            thread = new Thread(this::applyRuns, "kv-replay");
            thread.setDaemon(true);
            thread.start();
        }

        /** The builder's thread: applies each run, and hands its buffer back. After a failure it only drains. */
        private void applyRuns() {
            while (true) {
                Run r = take(runs);
                if (r == END) {
                    return;
                }
                if (failure == null) {
                    try {
                        applyRun(r.buf, r.from, r.to);
                    } catch (Throwable t) {
                        failure = t;
                    }
                }
                free.add(r.buf);
            }
        }

        /**
         * Applies frames {@code [from, to)} in order, a window of {@link ReplayTable#WINDOW} at a time: the table first
         * reads ahead what the window's keys will need ({@link ReplayTable#touch}), then the frames are applied.
         */
        private void applyRun(byte[] buf, int from, int to) {
            for (int at = from; at < to; ) {
                int n = 0;
                for (; at < to && n < window.length; n++) {
                    window[n] = at;
                    at += (int) (Frame.LENGTH_FIELD_BYTES + Frame.totalLength(buf, at));
                }
                for (int i = 0; i < n; i++) {
                    Frame.visit(buf, window[i], readAhead);
                }
                table.endTouch();
                for (int i = 0; i < n; i++) {
                    Frame.visit(buf, window[i], this);
                }
            }
        }

        private void rethrowFailure() {
            Throwable t = failure;
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }

        @Override
        public void set(byte[] buf, int keyAt, int keyLen, byte encoding, int valueAt, int valueLen, long framed,
                        long framedCreate, long lease) {
            long rev = next(framed);
            int e = table.findOrAdd(buf, keyAt, keyLen);
            // A version-2 frame names its creation revision; a seed frame creates the key unless it existed.
            long created = framedCreate != 0 ? framedCreate : table.live(e) ? table.createRevision(e) : rev;
            byte[] text = Frame.isText(encoding) ? Arrays.copyOfRange(buf, valueAt, valueAt + valueLen) : null;
            table.set(e, encoding, text == null ? Frame.numberBits(buf, valueAt) : 0, text, rev, created);
            table.attach(e, lease);
        }

        @Override
        public void delete(byte[] buf, int keyAt, int keyLen, long framed) {
            next(framed);
            int e = table.find(buf, keyAt, keyLen);
            if (e >= 0) {
                table.remove(e);
                table.attach(e, 0);
            }
        }

        @Override
        public void grant(long lease, long ttlMillis, long rev) {
            revision(rev);
            leases.grant(lease, ttlMillis);
        }

        @Override
        public void revoke(long lease, boolean expired, long rev) {
            table.endLease(lease);
            revision(rev);
            leases.end(lease);
        }

        @Override
        public void record(byte[] buf, int keyAt, int keyLen, int valueAt, int valueLen, long rev) {
            revision(rev);
            records.insert(Frame.decodeRecord(buf, keyAt, keyLen, valueAt, valueLen, rev));
        }

        @Override
        public void recordFloor(long floor, long horizon, long rev) {
            revision(rev);
            records.floor(floor, horizon);
        }

        @Override
        public void revision(long rev) {
            revision = Math.max(revision, rev);
        }

        /**
         * The entry of the key {@code k}, with its lease, after the frames applied so far, or {@code null}: for the
         * change feed's replay ({@link HistoryReplay}), which applies frames on the scanning thread once the
         * builder's own thread is done ({@link #end}).
         */
        Entry entry(byte[] k) {
            int e = table.find(k, 0, k.length);
            Entry x = e < 0 ? null : table.entry(e);
            long lease = x == null ? 0 : table.lease(e);
            return lease == 0 ? x : x.withLease(lease);
        }

        /** The keys attached to {@code lease} after the frames applied so far: for the change feed's replay. */
        List<String> attachedKeys(long lease) {
            return table.keysOf(lease);
        }

        /** The revision counter after the frames so far. */
        long revision() {
            end();
            return revision;
        }

        private long next(long framed) {
            long rev = framed != 0 ? framed : revision + 1;
            revision = Math.max(revision, rev);
            return rev;
        }

        /**
         * The state: the live entries, sorted once unless they came in key order, built into a tree in one pass; the
         * keys attached to leases are handed to the lease table.
         */
        private State state() {
            end();
            int[] order = table.order();
            KeyTree.Node root = KeyTree.build(order.length, (from, to) -> table.leaf(order, from, to));
            KeyTree.Edit leased = new KeyTree.Edit(KeyTree.EMPTY);
            int[] count = new int[1];
            table.forEachAttached((k, lease) -> {
                leases.attach(Utf8.decode(k, 0, k.length), lease);
                leased.set(k, 0, k.length, Frame.ENCODING_I64, lease, null, revision, revision);
                count[0]++;
            });
            return new State(root, order.length, table.liveBytes(), revision, leased.finish(), count[0]);
        }

        private static <T> T take(BlockingQueue<T> q) {
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        return q.take();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private static <T> void put(BlockingQueue<T> q, T item) {
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        q.put(item);
                        return;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
