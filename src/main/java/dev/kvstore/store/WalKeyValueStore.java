package dev.kvstore.store;

import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A typed key-value store: an in-memory index in front of a write-ahead log. This class is the engine's public face
 * and only assembles its parts:
 * <ul>
 *   <li>{@link DataDirectory}: every file in the data directory, its lock, leftovers, restore, set-aside copies;</li>
 *   <li>{@link LogRecovery}: the recovery policy and its one verdict, the {@link Diagnosis}, over the
 *       {@link LogScanner} and the frame codec ({@link Frame});</li>
 *   <li>{@link KeyIndex}: the live entries, their counters and consistent reads, built in bulk by replay;</li>
 *   <li>{@link StateMachine}: the deterministic decision of each {@link Command} against the state;</li>
 *   <li>{@link GroupCommitWriter}: orders, writes, forces and publishes what was decided (its {@link Sequencer}
 *       decides against the index plus the group), with the {@link ActiveLog} and the {@link MarkKeeper};</li>
 *   <li>{@link Compactor}: compaction and snapshots, switching files through the {@link LogSwitch}.</li>
 * </ul>
 *
 * <p>{@link #open} recovers the log and rebuilds the index from it. Every write that changes something takes the
 * next revision of one counter and is acknowledged once it is as durable as the {@link SyncMode} promises; no reader
 * sees it before, nor part of a batch. A failed append that the writer cut back cleanly fails only its own writes.
 * After a failed force, or any other failure of the writer, the store refuses writes until it is reopened, and keeps
 * serving reads; no caller waits longer than the write timeout. One store at a time holds a data directory (an OS
 * lock). The log is compacted on its own when it has grown (see {@link CompactionPolicy}) or when asked.
 *
 * <p>Safe for any number of threads.
 */
public final class WalKeyValueStore implements KeyValueStore, AutoCloseable {

    private final StoreOptions options;
    private final DataDirectory dir;
    private final Closeable lock;
    private final LogChannel markFile;
    private final RecoveryReport recovery;
    private final SetAsideCopies setAside;
    private final StoreObserver observer;
    private final EntryLimits limits;
    private final KeyIndex index;
    private final ActiveLog log;
    private final MarkKeeper marks;
    private final GroupCommitWriter writer;
    private final Compactor compactor;

    private WalKeyValueStore(StoreOptions options, DataDirectory dir, Clock clock, Opened opened, int groupBytes) {
        LogFormat format = options.format();
        this.options = options;
        this.dir = dir;
        this.lock = opened.lock;
        this.markFile = opened.markFile;
        this.recovery = opened.report;
        this.setAside = opened.setAside;
        this.observer = options.observer();
        this.limits = new EntryLimits(options);
        this.index = new KeyIndex(opened.replayed);
        this.log = new ActiveLog(opened.channel, recovery.validBytes(), observer);
        this.marks = new MarkKeeper(markFile, log, options.sync(), options.syncInterval(), maxWrite(format, groupBytes));
        this.writer = new GroupCommitWriter(log, marks, options.sync(), groupBytes,
                new Sequencer(new StateMachine(format.magic()), index), observer);
        this.compactor = new Compactor(dir, format, writer, log, new LogSwitch(dir, log, marks), index,
                options.compaction(), observer, clock);
        // A log that outgrew the thresholds before a restart is compacted without waiting for a write.
        compactor.maybeStartAuto();
    }

    /** The most bytes one write call of the writer holds, which the forced mark records for recovery. */
    private static int maxWrite(LogFormat format, int groupBytes) {
        return GroupCommitWriter.maxWrite(groupBytes, Math.toIntExact(Frame.LENGTH_FIELD_BYTES + format.maxTotalLength()));
    }

    /** What {@link #open} prepared for the constructor: the files it holds open and what recovery found. */
    private static final class Opened {
        Closeable lock;
        LogChannel channel;
        LogChannel markFile;
        KeyIndex.Builder replayed;
        RecoveryReport report;
        SetAsideCopies setAside;

        /** Closes what is open, after a failure {@code primary}. */
        void closeAfter(Throwable primary) {
            for (Closeable c : new Closeable[] {channel, markFile, lock}) {
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
        return open(options, storage, clock, GroupCommitWriter.GROUP_BYTES);
    }

    /** As {@link #open(StoreOptions)}, with a writer whose groups hold at most {@code groupBytes}: for tests. */
    static WalKeyValueStore open(StoreOptions options, LogStorage storage, Clock clock, int groupBytes)
            throws IOException {
        DataDirectory dir = new DataDirectory(storage, options.logFile());
        LogFormat format = options.format();
        dir.createIfMissing();
        Opened o = new Opened();
        o.lock = dir.lock();
        try {
            dir.deleteLeftovers();
            boolean restored = options.restoreFrom() != null && dir.restoreIfEmpty(options.restoreFrom(), format);
            boolean created = !storage.exists(dir.log());
            o.channel = storage.open(dir.log(), true);
            if (created) {
                // The new, empty log must survive a power cut before anything is acknowledged in it.
                o.channel.force(true);
                dir.force();
            }
            o.replayed = new KeyIndex.Builder();
            o.report = new LogRecovery(dir, format, options.repair(), clock)
                    .recover(o.channel, dir.readMark(), created, restored, o.replayed);
            boolean newMark = !storage.exists(dir.markFile());
            o.markFile = storage.open(dir.markFile(), true);
            // What recovery read may still sit unforced in the page cache after a process crash: force it, then
            // mark it forced, with the sync mode and the largest write call of this run.
            o.channel.force(true);
            ForcedMark.of(o.channel, o.report.validBytes(), options.sync(), maxWrite(format, groupBytes))
                    .write(o.markFile);
            if (newMark) {
                dir.force();
            }
            o.setAside = dir.pruneCopies(options.keepCopies(), options.keepCopiesBytes(), o.report.setAside());
            return new WalKeyValueStore(options, dir, clock, o, groupBytes);
        } catch (IOException | RuntimeException | Error e) {
            o.closeAfter(e);
            throw e;
        }
    }

    /** The entry of {@code key} with its value and revisions, or {@code null} when it has none. */
    public Entry get(String key) {
        Entry e = index.get(key);
        observer.onOperation(StoreObserver.Operation.GET, e == null ? "miss" : "hit");
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
        Page page = index.list(prefix, after, limit);
        observer.onOperation(StoreObserver.Operation.LIST, "ok");
        return page;
    }

    /**
     * Sets {@code key} to {@code value} if {@code precondition} holds for its current entry; returns once the write
     * is acknowledged under the sync mode, or at once with {@code PRECONDITION_FAILED}.
     *
     * @throws InvalidEntryException     when the key or value is not one the store takes; nothing was written
     * @throws StoreUnavailableException when the log does not take writes, or did not answer within the write timeout
     */
    public WriteResult put(String key, Value value, Precondition precondition) {
        return (WriteResult) execute(StoreObserver.Operation.SET, new Command.Put(key, value, precondition));
    }

    /**
     * Deletes {@code key} if {@code precondition} holds (it is tested first, so it may fail on a missing key); a key
     * with no value is {@link WriteOutcome#NOT_FOUND}, and nothing is written.
     */
    public WriteResult delete(String key, Precondition precondition) {
        return (WriteResult) execute(StoreObserver.Operation.DELETE, new Command.Delete(key, precondition));
    }

    /**
     * Adds {@code step} (an integer or a float) to the number under {@code key}, atomically. A missing key is created
     * with {@code step} as its value. An integer takes an integer step, with no wrap-around ({@code OVERFLOW}); a float
     * takes either. A string is {@code NOT_A_NUMBER}, and a float step on an integer {@code TYPE_MISMATCH}.
     */
    public WriteResult increment(String key, Value step, Precondition precondition) {
        return (WriteResult) execute(StoreObserver.Operation.INCREMENT, new Command.Increment(key, step, precondition));
    }

    /**
     * Applies {@code operations} all together under one revision, or none of them when a precondition fails. They
     * are written as one frame, so a crash keeps all of them or none. Each key may appear once.
     */
    public BatchResult batch(List<BatchOperation> operations) {
        return (BatchResult) execute(StoreObserver.Operation.BATCH, new Command.Batch(operations));
    }

    /**
     * Checks that {@code key} is one the store takes (1 to {@code maxKeyBytes} UTF-8 bytes, valid Unicode).
     *
     * @throws InvalidEntryException when it is not
     */
    public void validateKey(String key) {
        limits.keyBytes(key);
    }

    /** Checks the command, queues it and waits for the writer's answer. */
    private CommandResult execute(StoreObserver.Operation operation, Command command) {
        GroupCommitWriter.Pending p = new GroupCommitWriter.Pending(command, limits.check(command));
        try {
            writer.submit(p);
        } catch (StoreUnavailableException e) {
            observer.onOperation(operation, "failed");
            throw e;
        }
        if (!p.await(options.writeTimeout().toNanos())) {
            observer.onOperation(operation, "failed");
            throw new StoreUnavailableException(String.format("the write was not acknowledged within %d ms"
                    + " (kv.wal.write-timeout): the disk has not answered, so its outcome is unknown; it may still"
                    + " be written and applied later", options.writeTimeout().toMillis()), null);
        }
        if (p.failure != null) {
            observer.onOperation(operation, "failed");
            Throwable f = p.failure;
            throw new StoreUnavailableException(f instanceof StoreUnavailableException
                    ? f.getMessage() : GroupCommitWriter.failureMessage(f), f);
        }
        CommandResult result = p.decision.result();
        observer.onOperation(operation, outcome(result));
        compactor.maybeStartAuto();
        return result;
    }

    private static String outcome(CommandResult result) {
        if (result instanceof BatchResult b) {
            return b.applied() ? "applied" : "precondition_failed";
        }
        return ((WriteResult) result).outcome().name().toLowerCase(Locale.ROOT);
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

    /** Number of live keys. */
    public int size() {
        return index.size();
    }

    /** The revision of the last write: every revision up to it is taken. */
    public long revision() {
        return index.revision();
    }

    /** The store's health, its counters, what its start recovered, and its compactions. */
    public StoreStatus status() {
        Throwable f = log.failure();
        Throwable append = writer.appendFailure();
        String failure = f != null ? GroupCommitWriter.failureMessage(f)
                : append != null ? GroupCommitWriter.appendFailureMessage(append) : null;
        long busy = writer.busySince();
        Duration stalled = busy == 0 ? Duration.ZERO : Duration.ofNanos(Math.max(0, System.nanoTime() - busy));
        Throwable mark = marks.failure();
        return new StoreStatus(dir.log(), log.written(), index.compactedBytes(), index.size(), index.revision(),
                options.sync(), failure == null, failure, f == null && append != null, stalled,
                options.writeTimeout(), marks.marked(), mark == null ? null : GroupCommitWriter.describe(mark),
                recovery, setAside, compactor.stats());
    }

    /** The index, for tests that decide commands against the store's state. */
    KeyIndex index() {
        return index;
    }

    /** A copy of every live value; for tests, not for serving. */
    Map<String, Value> entries() {
        return index.values();
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
                log.channel().close();
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
}
