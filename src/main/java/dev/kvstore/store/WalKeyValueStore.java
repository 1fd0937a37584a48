package dev.kvstore.store;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A typed key-value store: an in-memory index in front of a write-ahead log in the seed frame format.
 *
 * <p>{@link #open} recovers the log ({@link LogRecovery}) and rebuilds the index from it. Reads go straight to the
 * index and never wait. Writes go through the {@link LogWriter}, which orders them, appends their frames with
 * group commit and applies them to the index once they are as durable as the {@link SyncMode} promises. After a
 * failed append or force the store refuses writes until it is reopened, and keeps serving reads. The
 * {@link Compactor} rewrites the log to the live state, on its own when the log has grown (see
 * {@link CompactionPolicy}) or when asked, and writes snapshots.
 *
 * <p>Safe for any number of threads.
 */
public final class WalKeyValueStore implements AutoCloseable {

    private final StoreOptions options;
    private final LogFormat format;
    private final LogChannel markFile;
    private final ConcurrentHashMap<String, Value> index;
    private final RecoveryReport recovery;
    private final LogWriter writer;
    private final Compactor compactor;
    private final StoreObserver observer;
    private final boolean restored;
    /** Bytes the frames of the live entries take: what a compacted log holds. Changed by the writer thread only. */
    private volatile long liveBytes;

    private WalKeyValueStore(StoreOptions options, LogStorage storage, Clock clock, LogChannel channel,
                             LogChannel markFile, ConcurrentHashMap<String, Value> index, long liveBytes,
                             RecoveryReport recovery, boolean restored) {
        this.options = options;
        this.format = options.format();
        this.markFile = markFile;
        this.index = index;
        this.liveBytes = liveBytes;
        this.recovery = recovery;
        this.restored = restored;
        this.observer = options.observer();
        Compactor[] ref = new Compactor[1];
        this.writer = new LogWriter(channel, markFile, recovery.validBytes(), options.sync(), options.syncInterval(),
                new IndexSequencer(), observer, () -> {
                    if (ref[0] != null) {
                        ref[0].maybeStartAuto();
                    }
                });
        this.compactor = new Compactor(storage, options.logFile().toAbsolutePath(), format, writer, index,
                () -> this.liveBytes, options.compaction(), observer, clock);
        ref[0] = compactor;
        // A log that outgrew the thresholds before a restart is compacted without waiting for a write.
        compactor.maybeStartAuto();
    }

    /**
     * Opens the store in {@code options.dataDir()}, creating the directory and an empty log when missing.
     *
     * @throws LogCorruptedException     on damage that no crash leaves (unless {@code repair}); file untouched
     * @throws IncompatibleLogException  on a log of another magic or version; file untouched
     */
    public static WalKeyValueStore open(StoreOptions options) throws IOException {
        return open(options, LogStorage.files(), Clock.systemUTC());
    }

    static WalKeyValueStore open(StoreOptions options, LogStorage storage, Clock clock) throws IOException {
        Path dir = options.dataDir().toAbsolutePath();
        Path log = options.logFile().toAbsolutePath();
        if (!storage.exists(dir)) {
            storage.createDirectories(dir);
            // The new directory's own entry must be durable too, or a power cut can lose the whole log.
            storage.forceDirectory(dir.getParent());
        }
        Compactor.deleteLeftovers(storage, log);
        boolean restored = options.restoreFrom() != null
                && SnapshotRestore.restoreIfEmpty(storage, options.restoreFrom(), log, options.format());
        boolean created = !storage.exists(log);
        LogChannel channel = storage.open(log, true);
        LogChannel markFile = null;
        try {
            if (created) {
                // The new, empty log must survive a power cut before anything is acknowledged in it.
                channel.force(true);
                storage.forceDirectory(dir);
            }
            Path markPath = ForcedMark.pathFor(log);
            ConcurrentHashMap<String, Value> index = new ConcurrentHashMap<>();
            long[] live = {0};
            LogRecovery recovery = new LogRecovery(storage, log, options.format(), options.repair(), clock);
            RecoveryReport report = recovery.recover(channel, ForcedMark.readFor(storage, log), created,
                    record -> live[0] += replay(index, record));
            boolean newMark = !storage.exists(markPath);
            markFile = storage.open(markPath, true);
            // What recovery read may still sit unforced in the page cache after a process crash: force it, then
            // mark it forced.
            channel.force(true);
            ForcedMark.of(channel, report.validBytes()).write(markFile);
            if (newMark) {
                storage.forceDirectory(dir);
            }
            return new WalKeyValueStore(options, storage, clock, channel, markFile, index, live[0], report, restored);
        } catch (IOException | RuntimeException | Error e) {
            closeQuietly(channel, e);
            if (markFile != null) {
                closeQuietly(markFile, e);
            }
            throw e;
        }
    }

    /** Applies one recovered frame; returns how it changed the live bytes. */
    private static long replay(Map<String, Value> index, LogRecord record) {
        Value old = record.isDelete() ? index.remove(record.key()) : index.put(record.key(), record.value());
        if (old == null && record.isDelete()) {
            return 0;
        }
        int keyBytes = Utf8.encodedLength(record.key());
        return (record.isDelete() ? 0 : Frame.setFrameLength(keyBytes, record.value()))
                - (old == null ? 0 : Frame.setFrameLength(keyBytes, old));
    }

    /** The value of {@code key}, or {@code null} when it has none. */
    public Value get(String key) {
        Value v = index.get(key);
        observer.onOperation(StoreObserver.Operation.GET, v == null ? "miss" : "hit");
        return v;
    }

    /** Sets {@code key} to {@code value}; returns once the write is acknowledged under the sync mode. */
    public WriteOutcome set(String key, Value value) {
        byte[] keyBytes = checkKey(key);
        byte[] valueBytes = checkValue(value);
        return write(StoreObserver.Operation.SET, new LogWriter.Pending(key, value,
                Frame.encode(format, Frame.OP_SET, value.type().encoding(), keyBytes, valueBytes)));
    }

    /** Deletes {@code key}; returns {@link WriteOutcome#NOT_FOUND}, writing nothing, when it has no value. */
    public WriteOutcome delete(String key) {
        byte[] keyBytes = checkKey(key);
        return write(StoreObserver.Operation.DELETE, new LogWriter.Pending(key, null,
                Frame.encodeDelete(format, keyBytes)));
    }

    private WriteOutcome write(StoreObserver.Operation operation, LogWriter.Pending pending) {
        try {
            writer.submit(pending);
        } catch (StoreUnavailableException e) {
            observer.onOperation(operation, "failed");
            throw e;
        }
        pending.await();
        if (pending.failure != null) {
            observer.onOperation(operation, "failed");
            Throwable f = pending.failure;
            throw new StoreUnavailableException(f instanceof StoreUnavailableException
                    ? f.getMessage() : LogWriter.failureMessage(f), f);
        }
        observer.onOperation(operation, pending.outcome.name().toLowerCase(java.util.Locale.ROOT));
        return pending.outcome;
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

    /** Bytes the frames of the live entries take: the size of a freshly compacted log. */
    public long liveBytes() {
        return liveBytes;
    }

    /** Whether this start filled the data directory from {@code options.restoreFrom()}. */
    public boolean restored() {
        return restored;
    }

    /** A copy of every live entry; for tests and tools, not for serving. */
    Map<String, Value> entries() {
        return new HashMap<>(index);
    }

    /** Number of live keys. */
    public int size() {
        return index.size();
    }

    public RecoveryReport lastRecovery() {
        return recovery;
    }

    public StoreStatus status() {
        Throwable f = writer.failure();
        return new StoreStatus(options.logFile().toAbsolutePath(), writer.position(), liveBytes, index.size(),
                options.sync(), f == null, f == null ? null : LogWriter.failureMessage(f), recovery,
                compactor.stats());
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
                markFile.close();
            }
        }
    }

    private static void closeQuietly(LogChannel channel, Throwable primary) {
        try {
            channel.close();
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }

    /**
     * Decides each write against the index plus the earlier writes of its group. Runs on the writer thread only,
     * which is also the only thread that changes the index after recovery.
     */
    private final class IndexSequencer implements LogWriter.Sequencer {
        private static final Object DELETED = new Object();
        private final Map<String, Object> group = new HashMap<>();

        @Override
        public boolean admit(LogWriter.Pending w) {
            Object pending = group.get(w.key);
            boolean exists = pending != null ? pending != DELETED : index.containsKey(w.key);
            if (w.value == null && !exists) {
                w.outcome = WriteOutcome.NOT_FOUND;
                return false;
            }
            w.outcome = w.value == null ? WriteOutcome.DELETED : exists ? WriteOutcome.REPLACED : WriteOutcome.CREATED;
            group.put(w.key, w.value == null ? DELETED : w.value);
            return true;
        }

        @Override
        public void apply(List<LogWriter.Pending> writes) {
            long live = liveBytes;
            for (LogWriter.Pending w : writes) {
                if (w.outcome == WriteOutcome.NOT_FOUND) {
                    continue;
                }
                Value old = w.outcome == WriteOutcome.DELETED ? index.remove(w.key) : index.put(w.key, w.value);
                if (w.value != null) {
                    live += w.frame.length;
                }
                if (old != null) {
                    live -= Frame.setFrameLength(Frame.keyLength(w.frame), old);
                }
            }
            liveBytes = live;
            group.clear();
        }

        @Override
        public void discard() {
            group.clear();
        }
    }
}
