package dev.kvstore.store;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Consumer;

/**
 * A typed key-value store: an in-memory index in front of a write-ahead log.
 *
 * <p>{@link #open} recovers the log ({@link LogRecovery}) and rebuilds the index from it. Writes go through the
 * {@link LogWriter}, which orders them, appends their frames with group commit and applies them to the index once
 * they are as durable as the {@link SyncMode} promises. Every write that changes something takes the next revision
 * of one counter; the writer thread decides each write, its precondition included, against the state it changes.
 * A failed append that the writer cut back cleanly fails only its own writes. After a failed force, or any other
 * failure of the writer, the store refuses writes until it is reopened, and keeps serving reads; no caller waits
 * longer than the write timeout. One store at a time holds a data directory (an OS lock). The
 * {@link Compactor} rewrites the log to the live state, on its own when the log has grown (see
 * {@link CompactionPolicy}) or when asked, and writes snapshots.
 *
 * <p>The index is sorted in {@link KeyOrder#CODE_POINTS} order for listings. A group is applied to it under a write
 * lock, and reads validate against that lock, so no read sees part of a group, and so none sees part of a batch.
 *
 * <p>Safe for any number of threads.
 */
public final class WalKeyValueStore implements AutoCloseable {

    private final StoreOptions options;
    private final LogFormat format;
    private final java.io.Closeable lock;
    private final LogChannel markFile;
    private final SetAsideCopies setAside;
    private final ConcurrentSkipListMap<String, Entry> index;
    /** Held for writing while a group is applied to the index; see the class comment. */
    private final StampedLock applyLock = new StampedLock();
    private final RecoveryReport recovery;
    private final LogWriter writer;
    private final Compactor compactor;
    private final StoreObserver observer;
    private final boolean restored;
    /** Bytes the frames of the live entries take: what a compacted log holds. Changed by the writer thread only. */
    private volatile long liveBytes;
    /** The revision of the last applied write. Changed by the writer thread only. */
    private volatile long revision;
    /** Keys in the index, counted, since the sorted index takes time to count. */
    private volatile int size;

    private WalKeyValueStore(StoreOptions options, LogStorage storage, Clock clock, Opened opened, int groupBytes) {
        this.options = options;
        this.format = options.format();
        this.lock = opened.lock;
        this.markFile = opened.markFile;
        this.setAside = opened.setAside;
        Replay replay = opened.replay;
        this.index = replay.sortedIndex();
        this.liveBytes = replay.liveBytes;
        this.revision = replay.revision;
        this.size = index.size();
        this.recovery = opened.report;
        this.restored = opened.restored;
        this.observer = options.observer();
        Compactor[] ref = new Compactor[1];
        this.writer = new LogWriter(opened.channel, markFile, recovery.validBytes(), options.sync(),
                options.syncInterval(), groupBytes, maxFrameBytes(format), new IndexSequencer(replay.revision),
                observer, () -> {
                    if (ref[0] != null) {
                        ref[0].maybeStartAuto();
                    }
                });
        this.compactor = new Compactor(storage, options.logFile().toAbsolutePath(), format, writer, index,
                () -> this.revision, this::liveBytes, options.compaction(), observer, clock);
        ref[0] = compactor;
        // A log that outgrew the thresholds before a restart is compacted without waiting for a write.
        compactor.maybeStartAuto();
    }

    /** The longest frame the limits allow, as bytes on disk. */
    private static int maxFrameBytes(LogFormat format) {
        return Math.toIntExact(Frame.LENGTH_FIELD_BYTES + format.maxTotalLength());
    }

    /** What {@link #open} prepared for the constructor: the files it holds open and what recovery found. */
    private static final class Opened {
        java.io.Closeable lock;
        LogChannel channel;
        LogChannel markFile;
        Replay replay;
        RecoveryReport report;
        SetAsideCopies setAside;
        boolean restored;

        /** Closes what is open, after a failure {@code primary}. */
        void closeAfter(Throwable primary) {
            for (java.io.Closeable c : new java.io.Closeable[] {channel, markFile, lock}) {
                if (c != null) {
                    try {
                        c.close();
                    } catch (IOException | RuntimeException e) {
                        primary.addSuppressed(e);
                    }
                }
            }
        }
    }

    /**
     * Opens the store in {@code options.dataDir()}, creating the directory and an empty log when missing. The data
     * directory is locked first ({@code kvstore.log.lock}, an exclusive lock of the operating system) and stays
     * locked until {@link #close}: before a restore and before recovery, so that no second process ever reads or
     * writes a log this one writes.
     *
     * @throws DataDirectoryLockedException when another process (or another open store) holds the data directory
     * @throws LogCorruptedException     on damage that no crash leaves (unless {@code repair}); file untouched
     * @throws IncompatibleLogException  on a log of another magic or an unknown version; file untouched
     */
    public static WalKeyValueStore open(StoreOptions options) throws IOException {
        return open(options, LogStorage.files(), Clock.systemUTC());
    }

    static WalKeyValueStore open(StoreOptions options, LogStorage storage, Clock clock) throws IOException {
        return open(options, storage, clock, LogWriter.GROUP_BYTES);
    }

    /** As {@link #open(StoreOptions)}, with a writer whose groups hold at most {@code groupBytes}: for tests. */
    static WalKeyValueStore open(StoreOptions options, LogStorage storage, Clock clock, int groupBytes)
            throws IOException {
        Path dir = options.dataDir().toAbsolutePath();
        Path log = options.logFile().toAbsolutePath();
        if (!storage.exists(dir)) {
            storage.createDirectories(dir);
            // The new directory's own entry must be durable too, or a power cut can lose the whole log.
            storage.forceDirectory(dir.getParent());
        }
        Opened o = new Opened();
        o.lock = storage.lock(lockPathFor(log));
        try {
            Compactor.deleteLeftovers(storage, log);
            o.restored = options.restoreFrom() != null
                    && SnapshotRestore.restoreIfEmpty(storage, options.restoreFrom(), log, options.format());
            boolean created = !storage.exists(log);
            o.channel = storage.open(log, true);
            if (created) {
                // The new, empty log must survive a power cut before anything is acknowledged in it.
                o.channel.force(true);
                storage.forceDirectory(dir);
            }
            Path markPath = ForcedMark.pathFor(log);
            o.replay = new Replay();
            LogRecovery recovery = new LogRecovery(storage, log, options.format(), options.repair(), clock);
            o.report = recovery.recover(o.channel, ForcedMark.readFor(storage, log), created, o.replay);
            boolean newMark = !storage.exists(markPath);
            o.markFile = storage.open(markPath, true);
            // What recovery read may still sit unforced in the page cache after a process crash: force it, then
            // mark it forced, with the sync mode and the largest write call of this run.
            o.channel.force(true);
            ForcedMark.of(o.channel, o.report.validBytes(), options.sync(),
                    LogWriter.maxWrite(groupBytes, maxFrameBytes(options.format()))).write(o.markFile);
            if (newMark) {
                storage.forceDirectory(dir);
            }
            o.setAside = SetAsideCopies.prune(storage, log, options.keepCopies(), options.keepCopiesBytes(),
                    o.report.setAside());
            return new WalKeyValueStore(options, storage, clock, o, groupBytes);
        } catch (IOException | RuntimeException | Error e) {
            o.closeAfter(e);
            throw e;
        }
    }

    /** The lock file of the data directory of {@code log}: named after the log, like its forced mark. */
    static Path lockPathFor(Path log) {
        return log.resolveSibling(log.getFileName() + ".lock");
    }

    /**
     * Rebuilds the index from recovered records. Seed-format frames carry no revision: each takes the next one in
     * log order, so the same log always gives the same revisions. Version-2 frames carry theirs, and a REVISION
     * frame raises the counter to its value.
     */
    static final class Replay implements Consumer<LogRecord> {
        /**
         * A hash map while replaying, sorted once at the end: a frame costs a hash lookup instead of a walk of the
         * skip list, which made replay ten times slower with a million keys. It keeps the order keys first came in,
         * so that a compacted log or a snapshot, written in key order, needs no sort at all.
         */
        private final java.util.LinkedHashMap<String, Entry> index = new java.util.LinkedHashMap<>();
        long liveBytes;
        long revision;

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
                Entry old = index.put(r.key(), new Entry(r.value(), rev, framed != 0 ? framed : rev));
                if (framed == 0 && old != null) {
                    index.put(r.key(), new Entry(r.value(), rev, old.createRevision()));
                }
                liveBytes += liveDelta(r.key(), r.value(), old);
            } else if (record instanceof LogRecord.Delete r) {
                next(r.revision());
                liveBytes += liveDelta(r.key(), null, index.remove(r.key()));
            } else {
                revision = Math.max(revision, ((LogRecord.Revision) record).revision());
            }
        }

        /** The replayed entries as the index: sorted once, then built bottom-up by the skip list in linear time. */
        ConcurrentSkipListMap<String, Entry> sortedIndex() {
            @SuppressWarnings("unchecked")
            Map.Entry<String, Entry>[] sorted = index.entrySet().toArray(new Map.Entry[0]);
            if (!inOrder(sorted)) {
                java.util.Arrays.parallelSort(sorted, (a, b) -> KeyOrder.CODE_POINTS.compare(a.getKey(), b.getKey()));
            }
            index.clear();
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

        private long next(long framed) {
            long rev = framed != 0 ? framed : revision + 1;
            revision = Math.max(revision, rev);
            return rev;
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
        public Set<Map.Entry<String, dev.kvstore.store.Entry>> entrySet() {
            return new java.util.AbstractSet<>() {
                @Override
                public java.util.Iterator<Map.Entry<String, dev.kvstore.store.Entry>> iterator() {
                    return java.util.Arrays.asList(sorted).iterator();
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

    /** The value of {@code key}, or {@code null} when it has none. */
    public Value get(String key) {
        Entry e = entry(key);
        return e == null ? null : e.value();
    }

    /** The entry of {@code key} with its revisions, or {@code null} when it has none. */
    public Entry entry(String key) {
        Entry e = read(key);
        observer.onOperation(StoreObserver.Operation.GET, e == null ? "miss" : "hit");
        return e;
    }

    /**
     * Like {@link #entry}, but a miss is not counted: for a caller that hands a miss on to one that reads again (the
     * HTTP fast path hands it to the controller, which answers the 404).
     */
    public Entry entryIfPresent(String key) {
        Entry e = read(key);
        if (e != null) {
            observer.onOperation(StoreObserver.Operation.GET, "hit");
        }
        return e;
    }

    private Entry read(String key) {
        long stamp = applyLock.tryOptimisticRead();
        Entry e = index.get(key);
        if (!applyLock.validate(stamp)) {
            // A group was being applied meanwhile: read again once it is whole.
            stamp = applyLock.readLock();
            try {
                e = index.get(key);
            } finally {
                applyLock.unlockRead(stamp);
            }
        }
        return e;
    }

    /**
     * Up to {@code limit} keys that start with {@code prefix}, in {@link KeyOrder#CODE_POINTS} order, from the first
     * one after {@code after} (or from the first one when {@code after} is {@code null}), all read from one state.
     * The cost is that of the page, not of the store.
     */
    public Page list(String prefix, String after, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive");
        }
        long stamp = applyLock.readLock();
        try {
            NavigableMap<String, Entry> tail = after == null || KeyOrder.CODE_POINTS.compare(after, prefix) < 0
                    ? index.tailMap(prefix, true) : index.tailMap(after, false);
            List<Map.Entry<String, Entry>> out = new ArrayList<>(Math.min(limit, 1024));
            for (Map.Entry<String, Entry> e : tail.entrySet()) {
                if (!e.getKey().startsWith(prefix)) {
                    break;
                }
                if (out.size() == limit) {
                    return page(out, true);
                }
                out.add(e);
            }
            return page(out, false);
        } finally {
            applyLock.unlockRead(stamp);
        }
    }

    private Page page(List<Map.Entry<String, Entry>> entries, boolean more) {
        observer.onOperation(StoreObserver.Operation.LIST, "ok");
        return new Page(entries, more);
    }

    /** Sets {@code key} to {@code value}; returns once the write is acknowledged under the sync mode. */
    public WriteOutcome set(String key, Value value) {
        return put(key, value, Precondition.NONE).outcome();
    }

    /**
     * Sets {@code key} to {@code value} if {@code precondition} holds for its current entry; returns once the write
     * is acknowledged under the sync mode, or at once with {@code PRECONDITION_FAILED}.
     */
    public WriteResult put(String key, Value value, Precondition precondition) {
        byte[] keyBytes = checkKey(key);
        byte[] valueBytes = checkValue(value);
        return write(StoreObserver.Operation.SET, new Write(Write.Kind.SET, key, value, precondition, null,
                Frame.encodeV2(format.magic(), Frame.OP_SET, value.type().encoding(), keyBytes, valueBytes)));
    }

    /** Deletes {@code key}; returns {@link WriteOutcome#NOT_FOUND}, writing nothing, when it has no value. */
    public WriteOutcome delete(String key) {
        return remove(key, Precondition.NONE).outcome();
    }

    /** Deletes {@code key} if {@code precondition} holds (it is tested first, so it may fail on a missing key). */
    public WriteResult remove(String key, Precondition precondition) {
        byte[] keyBytes = checkKey(key);
        return write(StoreObserver.Operation.DELETE, new Write(Write.Kind.DELETE, key, null, precondition, null,
                Frame.encodeV2(format.magic(), Frame.OP_DELETE, Frame.ENCODING_UTF8, keyBytes, new byte[0])));
    }

    /**
     * Adds {@code step} (an integer or a float) to the number under {@code key}, atomically. A missing key is created
     * with {@code step} as its value. An integer takes an integer step, with no wrap-around ({@code OVERFLOW}); a float
     * takes either. A string is {@code NOT_A_NUMBER}, and a float step on an integer {@code TYPE_MISMATCH}.
     */
    public WriteResult increment(String key, Value step, Precondition precondition) {
        byte[] keyBytes = checkKey(key);
        if (step instanceof Value.Text) {
            throw new InvalidEntryException(InvalidEntryException.Reason.NOT_A_NUMBER, "the step must be a number");
        }
        byte[] stepBytes = checkValue(step);
        return write(StoreObserver.Operation.INCREMENT, new Write(Write.Kind.INCREMENT, key, step, precondition, null,
                Frame.encodeV2(format.magic(), Frame.OP_SET, step.type().encoding(), keyBytes, stepBytes)));
    }

    /**
     * Applies {@code operations} all together under one revision, or none of them when a precondition fails. They
     * are written as one frame, so a crash keeps all of them or none. Each key may appear once.
     */
    public BatchResult batch(List<BatchOperation> operations) {
        if (operations.isEmpty()) {
            throw new InvalidEntryException(InvalidEntryException.Reason.INVALID_BATCH, "the batch has no operation");
        }
        if (operations.size() > options.maxBatchOperations()) {
            throw new InvalidEntryException(InvalidEntryException.Reason.BATCH_TOO_LARGE, String.format(
                    "the batch has %d operations; the limit is %d", operations.size(), options.maxBatchOperations()));
        }
        Set<String> keys = new HashSet<>();
        List<byte[]> frames = new ArrayList<>(operations.size());
        long bytes = 0;
        for (int i = 0; i < operations.size(); i++) {
            BatchOperation op = operations.get(i);
            if (!keys.add(op.key())) {
                throw new InvalidEntryException(InvalidEntryException.Reason.INVALID_BATCH, String.format(
                        "operation %d repeats the key \"%s\"; each key may appear once in a batch", i, op.key()));
            }
            byte[] keyBytes = checkKey(op.key());
            byte[] frame = op.isDelete()
                    ? Frame.encodeBatchOp(Frame.OP_DELETE, Frame.ENCODING_UTF8, keyBytes, new byte[0])
                    : Frame.encodeBatchOp(Frame.OP_SET, op.value().type().encoding(), keyBytes, checkValue(op.value()));
            bytes += frame.length;
            frames.add(frame);
        }
        if (bytes > options.maxBatchBytes()) {
            throw new InvalidEntryException(InvalidEntryException.Reason.BATCH_TOO_LARGE, String.format(
                    "the batch's operations take %d bytes in the log; the limit is %d", bytes, options.maxBatchBytes()));
        }
        Write w = new Write(Write.Kind.BATCH, null, null, null, List.copyOf(operations),
                Frame.encodeBatch(format.magic(), frames));
        submit(StoreObserver.Operation.BATCH, w);
        observer.onOperation(StoreObserver.Operation.BATCH, w.batchResult.applied() ? "applied" : "precondition_failed");
        return w.batchResult;
    }

    private WriteResult write(StoreObserver.Operation operation, Write w) {
        submit(operation, w);
        observer.onOperation(operation, w.result.outcome().name().toLowerCase(java.util.Locale.ROOT));
        return w.result;
    }

    private void submit(StoreObserver.Operation operation, Write w) {
        try {
            writer.submit(w);
        } catch (StoreUnavailableException e) {
            observer.onOperation(operation, "failed");
            throw e;
        }
        if (!w.await(options.writeTimeout().toNanos())) {
            observer.onOperation(operation, "failed");
            throw new StoreUnavailableException(String.format("the write was not acknowledged within %d ms"
                    + " (kv.wal.write-timeout): the disk has not answered, so its outcome is unknown; it may still"
                    + " be written and applied later", options.writeTimeout().toMillis()), null);
        }
        if (w.failure != null) {
            observer.onOperation(operation, "failed");
            Throwable f = w.failure;
            throw new StoreUnavailableException(f instanceof StoreUnavailableException
                    ? f.getMessage() : LogWriter.failureMessage(f), f);
        }
    }

    /**
     * Checks that {@code key} is one the store takes (1 to {@code maxKeyBytes} UTF-8 bytes, valid Unicode).
     *
     * @throws InvalidEntryException when it is not
     */
    public void validateKey(String key) {
        checkKey(key);
    }

    private byte[] checkKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new InvalidEntryException(InvalidEntryException.Reason.EMPTY_KEY, "the key is empty");
        }
        byte[] bytes;
        try {
            bytes = Utf8.encode(key);
        } catch (IllegalArgumentException e) {
            throw new InvalidEntryException(InvalidEntryException.Reason.NOT_UNICODE, "the key is " + e.getMessage());
        }
        if (bytes.length > options.maxKeyBytes()) {
            throw new InvalidEntryException(InvalidEntryException.Reason.KEY_TOO_LONG, String.format(
                    "the key is %d UTF-8 bytes; the limit is %d", bytes.length, options.maxKeyBytes()));
        }
        return bytes;
    }

    private byte[] checkValue(Value value) {
        if (value instanceof Value.Float f && !Double.isFinite(f.value())) {
            throw new InvalidEntryException(InvalidEntryException.Reason.NOT_FINITE,
                    "a float value must be finite, not " + f.value());
        }
        byte[] bytes;
        try {
            bytes = Frame.valueBytes(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidEntryException(InvalidEntryException.Reason.NOT_UNICODE, "the value is " + e.getMessage());
        }
        if (bytes.length > options.maxValueBytes()) {
            throw new InvalidEntryException(InvalidEntryException.Reason.VALUE_TOO_LARGE, String.format(
                    "the value is %d UTF-8 bytes; the limit is %d", bytes.length, options.maxValueBytes()));
        }
        return bytes;
    }

    /**
     * Rewrites the log to hold only the live entries, while reads and writes go on (writes pause briefly while the
     * new log takes over). See {@link Compactor} for the steps and why a crash at any of them loses nothing.
     *
     * @throws CompactionRunningException when one is running already
     * @throws InsufficientSpaceException when the disk lacks room for a second copy of the live data
     * @throws StoreUnavailableException  when the store is closed or read-only after a failure of the log
     * @throws IOException                when the compaction failed; the old log stays in use
     */
    public CompactionResult compact() throws IOException {
        return compactor.compact();
    }

    /**
     * A consistent copy of the store in the log format, holding every write acknowledged before the call; the
     * caller streams and closes it. Writes go on meanwhile.
     *
     * @throws InsufficientSpaceException when the disk lacks room for the copy
     */
    public Snapshot snapshot() throws IOException {
        return compactor.snapshot();
    }

    public CompactionStats compactionStats() {
        return compactor.stats();
    }

    /**
     * The size of a freshly compacted log: the frames of the live entries, after the REVISION frame that keeps the
     * counter.
     */
    public long liveBytes() {
        return liveBytes + (revision > 0 ? Frame.OVERHEAD_V2 : 0);
    }

    /** Whether this start filled the data directory from {@code options.restoreFrom()}. */
    public boolean restored() {
        return restored;
    }

    /** A copy of every live value; for tests and tools, not for serving. */
    Map<String, Value> entries() {
        Map<String, Value> copy = new HashMap<>();
        index.forEach((k, e) -> copy.put(k, e.value()));
        return copy;
    }

    /** Number of live keys. */
    public int size() {
        return size;
    }

    /** The revision of the last write: every revision up to it is taken. */
    public long revision() {
        return revision;
    }

    public RecoveryReport lastRecovery() {
        return recovery;
    }

    public StoreStatus status() {
        Throwable f = writer.failure();
        Throwable append = writer.appendFailure();
        String failure = f != null ? LogWriter.failureMessage(f)
                : append != null ? LogWriter.appendFailureMessage(append) : null;
        long busy = writer.busySince();
        Duration stalled = busy == 0 ? Duration.ZERO : Duration.ofNanos(Math.max(0, System.nanoTime() - busy));
        Throwable mark = writer.markFailure();
        return new StoreStatus(options.logFile().toAbsolutePath(), writer.position(), liveBytes(), size, revision,
                options.sync(), failure == null, failure, f == null && append != null, stalled,
                options.writeTimeout(), writer.markedPosition(), mark == null ? null : describe(mark), recovery,
                setAside, compactor.stats());
    }

    private static String describe(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": "
                + t.getMessage();
    }

    public StoreOptions options() {
        return options;
    }

    /**
     * Stops compaction (one still copying gives up), finishes queued writes, forces the log (unless a force already
     * failed) and closes it.
     */
    @Override
    public void close() throws IOException {
        compactor.close();
        try {
            writer.close();
        } finally {
            try {
                writer.channel().close();
            } finally {
                try {
                    markFile.close();
                } finally {
                    // Last: the directory is free for another process only once nothing more is written to it.
                    lock.close();
                }
            }
        }
    }

    /** A write on its way through the {@link LogWriter}, with what the writer thread decided for it. */
    private static final class Write extends LogWriter.Pending {
        enum Kind { SET, DELETE, INCREMENT, BATCH }

        final Kind kind;
        final String key;
        /** The value to set, or the step of an increment. */
        final Value value;
        final Precondition precondition;
        final List<BatchOperation> operations;
        /** Set when admitted: the keys changed and their new entries ({@code null} for a delete), in order. */
        String[] keys;
        Entry[] after;
        WriteResult result;
        BatchResult batchResult;

        Write(Kind kind, String key, Value value, Precondition precondition, List<BatchOperation> operations,
              byte[] frame) {
            super(frame);
            this.kind = kind;
            this.key = key;
            this.value = value;
            this.precondition = precondition == null ? Precondition.NONE : precondition;
            this.operations = operations;
        }

        void changes(String key, Entry after) {
            keys = new String[] {key};
            this.after = new Entry[] {after};
        }
    }

    /**
     * Decides each write against the index plus the earlier writes of its group, and hands out revisions. Runs on
     * the writer thread only, which is also the only thread that changes the index after recovery.
     */
    private final class IndexSequencer implements LogWriter.Sequencer {
        private final Entry deleted = new Entry(Value.of(""), 0, 0);
        /** Entries written earlier in this group, {@code deleted} for a delete. */
        private final Map<String, Entry> group = new HashMap<>();
        /** The last revision handed out. */
        private long next;

        IndexSequencer(long revision) {
            this.next = revision;
        }

        private Entry current(String key) {
            Entry e = group.get(key);
            return e == deleted ? null : e != null ? e : index.get(key);
        }

        private void record(String key, Entry after) {
            group.put(key, after == null ? deleted : after);
        }

        @Override
        public boolean admit(LogWriter.Pending p) {
            Write w = (Write) p;
            if (w.kind == Write.Kind.BATCH) {
                return admitBatch(w);
            }
            Entry current = current(w.key);
            if (!w.precondition.test(current)) {
                w.result = new WriteResult(WriteOutcome.PRECONDITION_FAILED, current, 0);
                return false;
            }
            if (w.kind == Write.Kind.DELETE) {
                if (current == null) {
                    w.result = new WriteResult(WriteOutcome.NOT_FOUND, null, 0);
                    return false;
                }
                long rev = ++next;
                Frame.stamp(w.frame, 0, rev, 0);
                w.changes(w.key, null);
                record(w.key, null);
                w.result = new WriteResult(WriteOutcome.DELETED, current, rev);
                return true;
            }
            Value value = w.value;
            if (w.kind == Write.Kind.INCREMENT && current != null) {
                WriteOutcome refusal = refusal(current.value(), w.value);
                if (refusal != null) {
                    w.result = new WriteResult(refusal, current, 0);
                    return false;
                }
                value = sum(current.value(), w.value);
                Frame.setNumber(w.frame, value);
            }
            long rev = ++next;
            Entry entry = new Entry(value, rev, current == null ? rev : current.createRevision());
            Frame.stamp(w.frame, 0, rev, entry.createRevision());
            w.changes(w.key, entry);
            record(w.key, entry);
            w.result = new WriteResult(current == null ? WriteOutcome.CREATED : WriteOutcome.REPLACED, entry, rev);
            return true;
        }

        /** Why {@code step} cannot be added to {@code value}, or {@code null} when it can. */
        private WriteOutcome refusal(Value value, Value step) {
            if (value instanceof Value.Text) {
                return WriteOutcome.NOT_A_NUMBER;
            }
            if (value instanceof Value.Int i) {
                if (!(step instanceof Value.Int s)) {
                    return WriteOutcome.TYPE_MISMATCH;
                }
                long r = i.value() + s.value();
                // Overflow when both operands have the sign the result lacks (as Math.addExact checks).
                return ((i.value() ^ r) & (s.value() ^ r)) < 0 ? WriteOutcome.OVERFLOW : null;
            }
            return Double.isFinite(((Value.Float) value).value() + asDouble(step)) ? null : WriteOutcome.OVERFLOW;
        }

        private Value sum(Value value, Value step) {
            if (value instanceof Value.Int i) {
                return Value.of(i.value() + ((Value.Int) step).value());
            }
            return Value.of(((Value.Float) value).value() + asDouble(step));
        }

        private double asDouble(Value step) {
            return step instanceof Value.Int i ? (double) i.value() : ((Value.Float) step).value();
        }

        private boolean admitBatch(Write w) {
            List<BatchOperation> ops = w.operations;
            Entry[] currents = new Entry[ops.size()];
            int failed = -1;
            for (int i = 0; i < ops.size(); i++) {
                currents[i] = current(ops.get(i).key());
                if (failed < 0 && !ops.get(i).precondition().test(currents[i])) {
                    failed = i;
                }
            }
            List<WriteResult> results = new ArrayList<>(ops.size());
            if (failed >= 0) {
                for (int i = 0; i < ops.size(); i++) {
                    boolean holds = i != failed && (i < failed || ops.get(i).precondition().test(currents[i]));
                    results.add(new WriteResult(holds ? WriteOutcome.ABORTED : WriteOutcome.PRECONDITION_FAILED,
                            currents[i], 0));
                }
                w.batchResult = new BatchResult(false, 0, List.copyOf(results), failed);
                return false;
            }
            long rev = ++next;
            w.keys = new String[ops.size()];
            w.after = new Entry[ops.size()];
            int at = Frame.batchOpsStart(0);
            for (int i = 0; i < ops.size(); i++) {
                BatchOperation op = ops.get(i);
                Entry current = currents[i];
                Entry entry = op.isDelete() ? null
                        : new Entry(op.value(), rev, current == null ? rev : current.createRevision());
                at = Frame.setCreateRevisionOfOp(w.frame, at, entry == null ? 0 : entry.createRevision());
                w.keys[i] = op.key();
                w.after[i] = entry;
                record(op.key(), entry);
                WriteOutcome outcome = entry != null ? current == null ? WriteOutcome.CREATED : WriteOutcome.REPLACED
                        : current == null ? WriteOutcome.NOT_FOUND : WriteOutcome.DELETED;
                results.add(new WriteResult(outcome, entry != null ? entry : current, rev));
            }
            Frame.stamp(w.frame, 0, rev, 0);
            w.batchResult = new BatchResult(true, rev, List.copyOf(results), -1);
            return true;
        }

        @Override
        public void apply(List<LogWriter.Pending> writes) {
            long stamp = applyLock.writeLock();
            try {
                long live = liveBytes;
                int keys = size;
                for (LogWriter.Pending p : writes) {
                    Write w = (Write) p;
                    if (!w.logged) {
                        continue;
                    }
                    for (int i = 0; i < w.keys.length; i++) {
                        Entry e = w.after[i];
                        Entry old = e == null ? index.remove(w.keys[i]) : index.put(w.keys[i], e);
                        keys += (e == null && old != null ? -1 : 0) + (e != null && old == null ? 1 : 0);
                        live += liveDelta(w.keys[i], e == null ? null : e.value(), old);
                    }
                }
                liveBytes = live;
                size = keys;
                revision = next;
            } finally {
                applyLock.unlockWrite(stamp);
            }
            group.clear();
        }

        @Override
        public void discard() {
            group.clear();
            next = revision;
        }
    }
}
