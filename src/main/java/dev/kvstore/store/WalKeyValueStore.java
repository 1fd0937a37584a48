package dev.kvstore.store;

import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A typed key-value store: an in-memory index in front of a write-ahead log. This class is the engine's public face
 * and only assembles its parts:
 * <ul>
 *   <li>{@link DataDirectory}: every file in the data directory, its lock, leftovers, restore, set-aside copies;</li>
 *   <li>{@link LogRecovery}: the recovery policy and its one verdict, the {@link Diagnosis}, over the
 *       {@link LogScanner} and the frame codec ({@link Frame});</li>
 *   <li>{@link KeyIndex}: the live entries, their counters and consistent reads, built in bulk by replay;</li>
 *   <li>{@link LeaseTable} and {@link IdempotencyRecords}: the rest of the state ({@link AppliedState}), rebuilt
 *       by the same replay ({@link StateBuilder});</li>
 *   <li>{@link StateMachine}: the deterministic decision of each {@link Command} against the state;</li>
 *   <li>{@link GroupCommitWriter}: orders, writes, forces and publishes what was decided (its {@link Sequencer}
 *       decides against the index plus the group), with the {@link ActiveLog} and the {@link MarkKeeper};</li>
 *   <li>{@link Compactor}: compaction and snapshots, switching files through the {@link LogSwitch};</li>
 *   <li>{@link History}: the change feed, each applied revision's changes with the entries before them, filled by
 *       replay ({@link HistoryReplay}) and by the apply step, and kept in the log across compactions.</li>
 *   <li>{@link LeaseExpiry}: the leases' deadlines, soft state of this node, which expires leases through the
 *       write path.</li>
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
    private final StateMachine machine;
    private final AppliedState state;
    private final ActiveLog log;
    private final MarkKeeper marks;
    private final GroupCommitWriter writer;
    private final Compactor compactor;
    private final History history;
    private final LeaseExpiry expiry;
    private final Clock clock;
    /** Idempotency keys whose first request is being decided on this node, with its fingerprint. */
    private final Map<IdempotencyRecord.Id, Command.Fingerprint> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong replays = new AtomicLong();

    private WalKeyValueStore(StoreOptions options, DataDirectory dir, Clock clock, Opened opened, int groupBytes) {
        LogFormat format = options.format();
        this.options = options;
        this.dir = dir;
        this.clock = clock;
        this.lock = opened.lock;
        this.markFile = opened.markFile;
        this.recovery = opened.report;
        this.setAside = opened.setAside;
        this.observer = options.observer();
        this.limits = new EntryLimits(options);
        this.index = new KeyIndex(opened.replayed.keys);
        this.state = new AppliedState(index, opened.replayed.leases, opened.replayed.records);
        this.history = opened.history;
        this.log = new ActiveLog(opened.channel, opened.length, observer);
        this.marks = new MarkKeeper(markFile, log, options.sync(), options.syncInterval(), maxWrite(format, groupBytes));
        this.machine = new StateMachine(format.magic(), options.compressionMinBytes());
        this.writer = new GroupCommitWriter(log, marks, options.sync(), groupBytes,
                new Sequencer(machine, state, history, log::written), observer);
        this.expiry = new LeaseExpiry(this::expire, System::nanoTime, observer::onLeaseExpired);
        expiry.load(state.leases.leases(), state.leases.orphans());
        state.leases.listen(expiry);
        this.compactor = new Compactor(dir, format, writer, log, new LogSwitch(dir, log, marks), state, history,
                options.compaction(), observer, clock);
        history.start();
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
        StateBuilder replayed;
        History history;
        /** The log's length after recovery (and the HISTORY frame an older log gets). */
        long length;
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
            o.replayed = new StateBuilder(options.idempotency());
            o.history = new History(options.historyRetention());
            HistoryReplay replay = new HistoryReplay(o.replayed.keys, o.history, o.channel.size(),
                    options.historyRetention());
            o.report = new LogRecovery(dir, format, options.repair(), clock)
                    .recover(o.channel, dir.readMark(), created, restored, replay);
            o.length = o.report.validBytes();
            if (!replay.endsInHistory()) {
                // A log compacted before HISTORY frames existed: from here on, what is written is history.
                byte[] mark = Frame.encodeHistory(format.magic(), o.replayed.keys.revision());
                o.channel.writeFully(java.nio.ByteBuffer.wrap(mark), o.length);
                o.length += mark.length;
            }
            replay.finish(o.length);
            boolean newMark = !storage.exists(dir.markFile());
            o.markFile = storage.open(dir.markFile(), true);
            // What recovery read may still sit unforced in the page cache after a process crash: force it, then
            // mark it forced, with the sync mode and the largest write call of this run.
            o.channel.force(true);
            ForcedMark.of(o.channel, o.length, options.sync(), maxWrite(format, groupBytes))
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
     * Decides {@code command} (any but an {@link Command.Idempotent}, for which see {@link #idempotent}) and returns
     * once it is acknowledged: the one way every write goes, which the methods above name.
     *
     * @throws InvalidEntryException     when the store does not take it; nothing was written
     * @throws StoreUnavailableException when the log does not take writes, or did not answer within the write timeout
     */
    public CommandResult execute(Command command) {
        if (command instanceof Command.Idempotent) {
            throw new IllegalArgumentException("an idempotent command goes through idempotent()");
        }
        return execute(StoreObserver.Operation.of(command), command);
    }

    /**
     * Decides {@code command} once for {@code scope}'s idempotency {@code key}: the first time, the command is
     * decided and its result remembered with {@code fingerprint} in the same frame ({@link IdempotentResult.Status#APPLIED});
     * a repeat with the same fingerprint gets the remembered result and decides nothing
     * ({@link IdempotentResult.Status#REPLAYED}); one with another fingerprint gets
     * {@link IdempotentResult.Status#MISMATCH}; one while the first is still being decided on this node gets
     * {@link IdempotentResult.Status#IN_FLIGHT}. The record's time is read here, before the command is queued.
     *
     * @throws InvalidEntryException     when the key, the scope or the command is not one the store takes
     * @throws StoreUnavailableException as for {@link #execute(Command)}: the command may still be applied later, and
     *                                   a repeat then finds its record
     */
    public IdempotentResult idempotent(String scope, String key, Command.Fingerprint fingerprint, Command command) {
        EntryLimits.checkIdempotencyKey(key);
        StoreObserver.Operation operation = StoreObserver.Operation.of(command);
        IdempotencyRecord.Id id = new IdempotencyRecord.Id(scope, key);
        Command.Fingerprint running = inFlight.putIfAbsent(id, fingerprint);
        if (running != null) {
            observer.onOperation(operation, "idempotent_in_flight");
            return new IdempotentResult(running.equals(fingerprint) ? IdempotentResult.Status.IN_FLIGHT
                    : IdempotentResult.Status.MISMATCH, null);
        }
        try {
            IdempotencyRecord known = state.records.get(scope, key);
            IdempotentResult result = known != null
                    ? new IdempotentResult(known.fingerprint().equals(fingerprint) ? IdempotentResult.Status.REPLAYED
                            : IdempotentResult.Status.MISMATCH, known.fingerprint().equals(fingerprint)
                            ? known.result() : null)
                    : (IdempotentResult) execute(operation, new Command.Idempotent(scope, key, fingerprint,
                            clock.millis(), command));
            if (known != null) {
                observer.onOperation(operation, outcome(result));
            }
            if (result.status() == IdempotentResult.Status.REPLAYED) {
                replays.incrementAndGet();
            }
            return result;
        } finally {
            inFlight.remove(id, fingerprint);
        }
    }

    /** Grants a lease of {@code ttl} (1 ms to 365 days); its id is the revision the grant took. */
    public LeaseResult grantLease(Duration ttl) {
        return (LeaseResult) execute(StoreObserver.Operation.LEASE, new Command.GrantLease(ttl.toMillis()));
    }

    /**
     * Renews the lease {@code id} for its whole time to live from now; returns that time to live in milliseconds,
     * or -1 when the lease has expired (its deadline passed) or was revoked. Writes nothing: deadlines are this
     * node's soft state (see {@link LeaseExpiry}).
     */
    public long keepLeaseAlive(long id) {
        long ttl = expiry.keepAlive(id);
        observer.onOperation(StoreObserver.Operation.LEASE, ttl < 0 ? "keepalive_not_found" : "kept_alive");
        return ttl;
    }

    /**
     * Ends the lease {@code id} and deletes every key attached to it, in one revision. With a {@code keyPrefix}, it is
     * refused ({@link LeaseOutcome#OUT_OF_SCOPE}, nothing written) unless every such key starts with it.
     */
    public LeaseResult revokeLease(long id, String keyPrefix) {
        return (LeaseResult) execute(StoreObserver.Operation.LEASE, new Command.RevokeLease(id, false, keyPrefix));
    }

    /** The lease {@code id} with its keys, or {@code null} when it has ended or never was. */
    public Lease lease(long id) {
        long ttl = state.leases.ttl(id);
        long remaining = expiry.remainingMillis(id);
        if (ttl < 0 || remaining < 0) {
            return null;
        }
        return new Lease(id, ttl, remaining, state.leases.keys(id));
    }

    /**
     * Starts the leases' deadlines: from now on, a lease not kept alive within its time to live expires. Until this
     * is called, nothing expires; the service calls it once it takes requests, so that after a restart every lease
     * has its whole time to live from the moment clients can reach it again. Idempotent.
     */
    public void startLeaseExpiry() {
        expiry.start();
    }

    public LeaseStatus leaseStatus() {
        return new LeaseStatus(state.leases.size(), state.leases.attachedKeys(), expiry.expired(), expiry.started(),
                expiry.running(), expiry.overdueMillis());
    }

    public IdempotencyStatus idempotencyStatus() {
        return new IdempotencyStatus(state.records.size(), state.records.bytes(), replays.get(), options.idempotency());
    }

    /** The expiry thread's write, queued: its answer is true when the lease expired now, false when it was gone. */
    private LeaseExpiry.Expiry expire(long lease) {
        GroupCommitWriter.Pending p = submit(StoreObserver.Operation.LEASE, new Command.RevokeLease(lease, true,
                null));
        return () -> ((LeaseResult) await(StoreObserver.Operation.LEASE, p)).outcome() == LeaseOutcome.EXPIRED;
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
        return await(operation, submit(operation, command));
    }

    /** Checks the command and queues it. */
    private GroupCommitWriter.Pending submit(StoreObserver.Operation operation, Command command) {
        int frameBytes = limits.check(command);
        // The values' stored forms (UTF-8, compressed when large) are made here, on the caller's thread.
        GroupCommitWriter.Pending p = new GroupCommitWriter.Pending(command, frameBytes, machine.prepare(command));
        try {
            writer.submit(p);
        } catch (StoreUnavailableException e) {
            observer.onOperation(operation, "failed");
            throw e;
        }
        return p;
    }

    /** Waits for the writer's answer to {@code p}. */
    private CommandResult await(StoreObserver.Operation operation, GroupCommitWriter.Pending p) {
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
            return b.applied() ? "applied" : b.results().get(b.failedIndex()).outcome().name().toLowerCase(Locale.ROOT);
        }
        if (result instanceof LeaseResult l) {
            return l.outcome().name().toLowerCase(Locale.ROOT);
        }
        if (result instanceof IdempotentResult i) {
            return i.status() == IdempotentResult.Status.APPLIED ? outcome(i.result())
                    : "idempotent_" + i.status().name().toLowerCase(Locale.ROOT);
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

    /**
     * The change feed: the changes of the recent revisions, each with the entry before it, from
     * {@link ChangeFeed#compactRevision()} on; kept across restarts and compactions, within
     * {@link StoreOptions#historyRetention()}.
     */
    public ChangeFeed feed() {
        return history;
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
        return new StoreStatus(dir.log(), log.written(), compactor.keptBytes(), index.size(), index.revision(),
                options.sync(), failure == null, failure, f == null && append != null, stalled,
                options.writeTimeout(), marks.marked(), mark == null ? null : GroupCommitWriter.describe(mark),
                recovery, setAside, compactor.stats());
    }

    /** The index, for tests that decide commands against the store's state. */
    KeyIndex index() {
        return index;
    }

    /** The whole state, for tests that decide commands against it. */
    AppliedState state() {
        return state;
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
        expiry.close();
        try {
            writer.close();
        } finally {
            // After the last publish: waiting readers hear that nothing more comes.
            history.close();
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
