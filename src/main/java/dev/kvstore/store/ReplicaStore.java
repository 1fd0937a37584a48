package dev.kvstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The store as one replica of a replicated log (cluster mode): the live entries in memory, changed only by
 * {@link #apply}, which a replication layer calls with every committed command, in log order, on every replica.
 *
 * <p>{@link #apply} is the engine's one deterministic step, the same as the single-node writer's: it decodes the
 * command, has the {@link StateMachine} decide it against the index, and applies the decision's changes to the
 * {@link KeyIndex}. It reads no clock, no file and no setting (not even the limits: those are checked by the node
 * that proposes a command, {@link #encode}), so every replica that applied the same commands holds the same entries
 * with the same revisions, and answers the proposer with the same result bytes.
 *
 * <p>The replicated log is the durable record; this replica keeps no log of its own. A restart loads the newest
 * snapshot ({@link #loadSnapshot}) and the replication layer applies the log's entries after it again. A snapshot is
 * a compacted log in the store's own format (a REVISION frame, then one SET frame per live key, in key order), so the
 * offline tool's {@code verify} and {@code dump} read it, a single-node store restores from it, and two replicas at
 * the same position write byte-identical snapshots.
 *
 * <p><b>Leases and idempotency records</b> are state like the keys: granted, ended and recorded by commands, decided
 * by the same step, and written into snapshots after the keys (as a compacted log holds them). A lease's deadline is
 * not: it is soft state of the leader ({@link LeaseExpiry}), started by {@link #lead} when this node becomes leader
 * (every lease then gets its whole time to live from that moment) and stopped by {@link #follow}. The leader
 * expires a lease by proposing a {@link Command.RevokeLease} guarded by its term ({@link #TERM_GUARD}): applied in
 * another term (a deposed leader's proposal, forwarded to its successor), it changes nothing on any replica, so a
 * new leader's deadlines are never cut short by an old one's. Keepalives go to the leader ({@link #keepAlive}).
 * An idempotency record's time comes from the proposer, inside the command.
 *
 * <p><b>The change feed</b> ({@link #feed}) holds what this replica applied, published by {@link #apply} once the
 * changes are in the index (no clock, nothing replicated: it only observes the step), within this node's
 * {@code kv.history.retention}. It survives snapshots the way a single node's history survives compaction, but in a
 * file of its own beside the snapshot ({@link #writeHistory}): a node's window depends on its retention and on when
 * it last started, so it cannot be part of the snapshot, which must be byte-identical on every replica at one
 * position. Loading a snapshot with that file ({@link #loadSnapshot}) restores the history up to the snapshot's
 * revision; without it (or with one that does not end at the snapshot's revision) the history starts after the
 * snapshot, so a watch from before it gets the compacted answer, never a gap.
 *
 * <p>Reads ({@link #get}, {@link #list}) may run on any thread at any time, and see whole commands only (the index's
 * lock). {@link #apply}, {@link #writeSnapshot} and {@link #loadSnapshot} are called by one thread at a time.
 */
public final class ReplicaStore {

    /**
     * The result of a command whose bytes are not a command ({@link MalformedCommandException}): it changes nothing on
     * any replica. Only a proposer that bypassed {@link #encode} can send one.
     */
    public static final byte[] MALFORMED = new byte[0];

    /**
     * The result of a command guarded by a term that is not the term of the log entry it was applied from: it
     * changes nothing on any replica.
     */
    public static final byte[] STALE_TERM = {0};

    /**
     * First byte of a command valid only in one term: {@code 0xE7, term i64 (little-endian), command}. A command's
     * own first byte is its version (1), so the two never meet. Applied from an entry of another term, it changes
     * nothing and answers {@link #STALE_TERM}.
     */
    static final byte TERM_GUARD = (byte) 0xE7;
    private static final int GUARD_BYTES = 1 + Long.BYTES;

    /**
     * Frames read from a snapshot are bounded by what the frame layout can hold, not by this node's limits: another
     * member, configured with larger limits, may have proposed an entry this node would refuse, and every member
     * holds it all the same. A snapshot's digest is checked before it is read.
     */
    private static final int SNAPSHOT_MAX_KEY_BYTES = 65535;
    private static final int SNAPSHOT_MAX_VALUE_BYTES = 1 << 30;
    private static final int WRITE_BUFFER_BYTES = 1 << 20;

    private final byte magic;
    private final LogFormat snapshotFormat;
    private final EntryLimits limits;
    private final StateMachine machine;
    private final IdempotencyOptions idempotency;
    private final KeyIndex index = new KeyIndex(new KeyIndex.Builder());
    /** The whole state the decide step sees: the keys, the leases and the idempotency records. */
    private final AppliedState state;
    private final LeaseExpiry expiry;
    private final StoreObserver observer;
    /** The change feed: the changes this replica applied since its last snapshot load, within the retention. */
    private final History history;
    private final long historyRetention;
    /** The log position of the last command applied; written by the applying thread only. */
    private volatile long appliedTerm;
    private volatile long appliedIndex = -1;

    private ReplicaStore(StoreOptions options) {
        this.magic = options.magic();
        this.snapshotFormat = new LogFormat(magic, SNAPSHOT_MAX_KEY_BYTES, SNAPSHOT_MAX_VALUE_BYTES,
                SNAPSHOT_MAX_VALUE_BYTES);
        this.limits = new EntryLimits(options);
        // The default size from which strings are stored compressed, not this node's kv.compression: every replica
        // must store a value alike, so that snapshots at one position are byte-identical.
        this.machine = new StateMachine(magic);
        this.observer = options.observer();
        this.idempotency = options.idempotency();
        this.state = new AppliedState(index, new LeaseTable(), new IdempotencyRecords(idempotency));
        // The expirer is given by lead(); until then nothing expires.
        this.expiry = new LeaseExpiry(lease -> {
            throw new IllegalStateException("not leading");
        }, System::nanoTime, observer::onLeaseExpired);
        state.leases.listen(expiry);
        this.historyRetention = options.historyRetention();
        this.history = new History(historyRetention);
        history.start();
    }

    /**
     * An empty replica, with the magic byte, limits and observer of {@code options}; it touches no file (the data
     * directory belongs to the replication layer).
     */
    public static ReplicaStore empty(StoreOptions options) {
        return new ReplicaStore(options);
    }

    // ---- reads ----

    /** The entry of {@code key}, or {@code null}: this replica's state, as of its last applied command. */
    public Entry get(String key) {
        Entry e = index.get(key);
        observer.onOperation(StoreObserver.Operation.GET, e == null ? "miss" : "hit");
        return e;
    }

    /** As {@link WalKeyValueStore#list}, from this replica's state. */
    public Page list(String prefix, String after, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive");
        }
        Page page = index.list(prefix, after, limit);
        observer.onOperation(StoreObserver.Operation.LIST, "ok");
        return page;
    }

    public int size() {
        return index.size();
    }

    /** The revision of the last write applied here. */
    public long revision() {
        return index.revision();
    }

    /** Bytes a compacted log of this state takes: about the size of its next snapshot. */
    public long liveBytes() {
        return state.compactedBytes();
    }

    /** @see WalKeyValueStore#validateKey */
    public void validateKey(String key) {
        limits.keyBytes(key);
    }

    // ---- proposing and applying ----

    /**
     * The bytes to propose for {@code command}, once it is checked against this node's limits.
     *
     * @throws InvalidEntryException when the store does not take it; nothing is proposed
     */
    public byte[] encode(Command command) {
        limits.check(command);
        return CommandCodec.encode(command);
    }

    /**
     * Decides and applies one committed command, and moves the applied position to ({@code term}, {@code index}).
     * A command that changes nothing (a failed precondition, a refused increment, a delete of a missing key) still
     * advances the position.
     *
     * @return the result as {@link CommandCodec#encodeResult} gives it, or {@link #MALFORMED}
     * @throws IllegalArgumentException when {@code index} does not follow the applied one: the caller lost its place
     */
    public byte[] apply(long term, long index, byte[] command) {
        return apply(term, index, List.of(command)).get(0);
    }

    /**
     * Decides and applies the commands of one committed log entry (the commands a node proposed together), in
     * order, each against the state the ones before it left, then moves the applied position to ({@code term},
     * {@code index}) once.
     *
     * @return each command's result, as {@link #apply(long, long, byte[])} gives it
     * @throws IllegalArgumentException when {@code index} does not follow the applied one: the caller lost its place
     */
    public List<byte[]> apply(long term, long index, List<byte[]> commands) {
        if (index <= appliedIndex) {
            throw new IllegalArgumentException("log index " + index + " applied after " + appliedIndex);
        }
        List<byte[]> results = new ArrayList<>(commands.size());
        for (byte[] command : commands) {
            results.add(decideAndApply(term, command));
        }
        moveTo(term, index);
        return results;
    }

    private byte[] decideAndApply(long term, byte[] command) {
        byte[] body = command;
        if (command.length > 0 && command[0] == TERM_GUARD) {
            if (command.length < GUARD_BYTES) {
                return MALFORMED;
            }
            if (ByteBuffer.wrap(command, 1, Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).getLong() != term) {
                return STALE_TERM;
            }
            body = java.util.Arrays.copyOfRange(command, GUARD_BYTES, command.length);
        }
        Command decoded;
        try {
            decoded = CommandCodec.decode(body);
        } catch (MalformedCommandException e) {
            return MALFORMED;
        }
        Decision d = machine.decide(state, decoded);
        if (d.writes()) {
            List<Decision> applied = List.of(d);
            state.apply(applied);
            // This replica keeps no log of its own: the events have no frame offsets.
            history.publish(applied, -1);
        }
        return CommandCodec.encodeResult(d.result());
    }

    /** {@code command}'s bytes, valid only when the entry that carries them is of {@code term}. */
    static byte[] guarded(long term, byte[] command) {
        byte[] out = new byte[GUARD_BYTES + command.length];
        out[0] = TERM_GUARD;
        ByteBuffer.wrap(out, 1, Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(term);
        System.arraycopy(command, 0, out, GUARD_BYTES, command.length);
        return out;
    }

    // ---- leases and idempotency records ----

    /**
     * This node leads in {@code term} and has applied every entry before the term's first: deadlines start, every
     * lease with its whole time to live from now, and a lease not kept alive in time is expired by proposing its
     * revocation through {@code propose} (which returns the result bytes of the command once applied, or throws
     * when it was not committed). Nothing happens when expiry runs already.
     */
    public void lead(long term, UnaryOperator<byte[]> propose) {
        expiry.start(lease -> {
            byte[] answer = propose.apply(guarded(term, CommandCodec.encode(
                    new Command.RevokeLease(lease, true, null))));
            return () -> answer.length > 1
                    && CommandCodec.decodeResult(answer) instanceof LeaseResult r
                    && r.outcome() == LeaseOutcome.EXPIRED;
        });
    }

    /** This node no longer leads: its deadlines stop, and it expires nothing until it leads again. */
    public void follow() {
        expiry.stop();
    }

    /**
     * On the leader, once it confirmed that it still leads after the keepalive arrived: renews {@code lease} for its
     * whole time to live from now; returns that time to live in milliseconds, or -1 when the lease is gone or its
     * deadline passed.
     */
    public long keepAlive(long lease) {
        long ttl = expiry.keepAlive(lease);
        observer.onOperation(StoreObserver.Operation.LEASE, ttl < 0 ? "keepalive_not_found" : "kept_alive");
        return ttl;
    }

    /**
     * The lease {@code id} with its keys, or {@code null} when it has ended or never was; its remaining time is this
     * node's deadline, which only the leader's is (a follower's shows the whole time to live).
     */
    public Lease lease(long id) {
        long ttl = state.leases.ttl(id);
        long remaining = expiry.remainingMillis(id);
        if (ttl < 0 || remaining < 0) {
            return null;
        }
        return new Lease(id, ttl, remaining, state.leases.keys(id));
    }

    /** The leases as this node sees them; {@code expired} counts the expiries this node proposed as leader. */
    public LeaseStatus leaseStatus() {
        return new LeaseStatus(state.leases.size(), state.leases.attachedKeys(), expiry.expired(), expiry.started(),
                expiry.running(), expiry.overdueMillis());
    }

    /** The records as this replica holds them; {@code replays} is the caller's count. */
    public IdempotencyStatus idempotencyStatus(long replays) {
        return new IdempotencyStatus(state.records.size(), state.records.bytes(), replays, idempotency);
    }

    /**
     * What this replica's records say of a request with {@code scope}'s idempotency {@code key}: a replay of the
     * remembered result when {@code fingerprint} is the recorded one, a mismatch when it is not, or {@code null}
     * when no record is here (the command must then be proposed; its apply step decides again, on every replica).
     */
    public IdempotentResult recorded(String scope, String key, Command.Fingerprint fingerprint) {
        IdempotencyRecord known = state.records.get(scope, key);
        if (known == null) {
            return null;
        }
        return known.fingerprint().equals(fingerprint)
                ? new IdempotentResult(IdempotentResult.Status.REPLAYED, known.result())
                : new IdempotentResult(IdempotentResult.Status.MISMATCH, null);
    }

    /**
     * The change feed of this replica: every revision it applied since it started or last loaded a snapshot (whose
     * revision is then the floor), in revision order, as {@link WalKeyValueStore#feed}.
     */
    public ChangeFeed feed() {
        return history;
    }

    /** Stops expiry and ends the change feed, for good. */
    public void close() {
        expiry.close();
        history.close();
    }

    /** The term of the last command applied (0 when none). */
    public long appliedTerm() {
        return appliedTerm;
    }

    /** The log index of the last command applied, or -1 when none. */
    public long appliedIndex() {
        return appliedIndex;
    }

    private void moveTo(long term, long index) {
        appliedTerm = term;
        appliedIndex = index;
    }

    // ---- snapshots ----

    /**
     * Writes the whole state to {@code target}, a new file, as a compacted log: a REVISION frame with the revision
     * counter (when any write happened), then a SET frame per live key with its revisions, in key order (a BATCH of
     * one SET_LEASED for a key with a lease), then the leases and the idempotency records
     * ({@link AppliedState#putLeasesAndRecords}). The caller
     * applies nothing meanwhile (so the file is exactly the state at {@link #appliedIndex}), and forces the file.
     */
    public void writeSnapshot(Path target) throws IOException {
        try (LogChannel out = LogStorage.files().open(target, true)) {
            if (out.size() != 0) {
                throw new IOException(target + " exists already; a snapshot is written to a new file");
            }
            SnapshotWriter writer = new SnapshotWriter(out);
            if (index.revision() > 0) {
                writer.put(Frame.encodeRevision(magic, index.revision()));
            }
            KeyIndex.forEach(index.snapshot(), (keys, keyAt, keyLen, encoding, bits, text, revision, created, lease) ->
                    writer.put(Frame.encodeStoredEntry(magic, keys, keyAt, keyLen, encoding, bits, text, revision,
                            created, lease)));
            state.putLeasesAndRecords(magic, index.revision(), writer::put);
            writer.flush();
        }
    }

    /**
     * Writes this replica's change-feed history to {@code target}, a new file, as a log in the store's format that
     * replays to exactly that history from the state of the snapshot taken at the same moment: for every key changed
     * after the history's floor F, its entry at F (a SET, or a DELETE when it had none; as compaction writes its
     * priors), then a HISTORY frame naming F, then the frame of each held event in revision order, then a REVISION
     * frame with the last revision applied. Called where {@link #writeSnapshot} is, with nothing applied meanwhile.
     * It costs about the frames of the held events plus one entry per key they change: at most about the retention.
     */
    public void writeHistory(Path target) throws IOException {
        History.Window w = history.window();
        ChangeEvent[] events = w.events();
        long floor = w.floor();
        int from = 0;
        for (int i = 0; i < events.length; i++) {
            if (events[i].frame == null) {
                // Not one of this replica's (cannot happen): the history written starts after it.
                from = i + 1;
                floor = events[i].revision();
            }
        }
        ChangeEvent[] kept = java.util.Arrays.copyOfRange(events, from, events.length);
        try (LogChannel out = LogStorage.files().open(target, true)) {
            if (out.size() != 0) {
                throw new IOException(target + " exists already; a history is written to a new file");
            }
            SnapshotWriter writer = new SnapshotWriter(out);
            for (Change prior : History.priorsOf(kept)) {
                writer.put(History.priorFrame(magic, prior, floor));
            }
            writer.put(Frame.encodeHistory(magic, floor));
            for (ChangeEvent e : kept) {
                writer.put(e.frame);
            }
            if (w.head() > 0) {
                writer.put(Frame.encodeRevision(magic, w.head()));
            }
            writer.flush();
        }
    }

    /** As {@link #loadSnapshot(Path, Path, long, long)} without a history: the feed starts after the snapshot. */
    public void loadSnapshot(Path source, long term, long index) throws IOException {
        loadSnapshot(source, null, term, index);
    }

    /**
     * Replaces the whole state with the snapshot {@code source} (see {@link #writeSnapshot}), taken at log position
     * ({@code term}, {@code index}), and the change feed's history with the one in {@code historyFile} (written with
     * it by {@link #writeHistory}), or, when that is {@code null}, unreadable or not of this snapshot, with an empty
     * history after the snapshot's revision, whose {@link ChangeFeed#floorCause()} says why. Readers see the old
     * state or the new one, never a mix. Nothing changes when the snapshot is not one whole, sound log of this
     * store's magic.
     *
     * @throws InvalidSnapshotException  when it is cut short or damaged
     * @throws IncompatibleLogException  when its frames are of another magic or version
     */
    public void loadSnapshot(Path source, Path historyFile, long term, long index) throws IOException {
        StateBuilder whole = new StateBuilder(idempotency);
        KeyIndex.Builder built = whole.keys;
        try (LogChannel in = LogStorage.files().openReadOnly(source)) {
            requireSound(source, LogRecovery.examine(in, snapshotFormat, null, built));
        }
        this.index.replaceWith(built);
        state.leases.replaceWith(whole.leases);
        state.records.replaceWith(whole.records);
        expiry.reload(state.leases.leases(), state.leases.orphans());
        long revision = this.index.revision();
        String cause = "this node loaded a snapshot at log index " + index + " (revision " + revision + ")";
        if (historyFile == null) {
            history.restartAfterSnapshot(revision, cause + " that came without the history before it");
        } else {
            try {
                History restored = readHistory(historyFile);
                if (restored.revision() != revision) {
                    history.restartAfterSnapshot(revision, cause + " whose history file ends at revision "
                            + restored.revision() + ", not at the snapshot's");
                } else {
                    history.adopt(restored, cause + " with the history it held (" + History.RETENTION
                            + " of the node that took it)");
                }
            } catch (IOException | RuntimeException e) {
                history.restartAfterSnapshot(revision, cause + " whose history file could not be read (" + e + ")");
            }
        }
        moveTo(term, index);
    }

    /** The history in {@code file} (see {@link #writeHistory}), replayed from the entries it starts with. */
    private History readHistory(Path file) throws IOException {
        History restored = new History(historyRetention);
        StateBuilder scratch = new StateBuilder(idempotency);
        try (LogChannel in = LogStorage.files().openReadOnly(file)) {
            HistoryReplay replay = HistoryReplay.ofReplica(scratch.keys, restored, in.size(), historyRetention);
            requireSound(file, LogRecovery.examine(in, snapshotFormat, null, replay));
            if (!replay.endsInHistory()) {
                throw new IOException(file + " is no history: its state is not followed by a HISTORY frame");
            }
            replay.finish(in.size());
        }
        return restored;
    }

    /**
     * Returns when {@code d} found {@code file} one whole, sound log of this store's magic.
     *
     * @throws InvalidSnapshotException  when it is cut short or damaged
     * @throws IncompatibleLogException  when its frames are of another magic or version
     */
    private void requireSound(Path file, Diagnosis d) throws LogException {
        switch (d.kind()) {
            case SOUND:
                return;
            case INCOMPATIBLE:
                throw new IncompatibleLogException(file, d.foreignOffset(), (byte) d.foundMagic(),
                        (byte) d.foundVersion(), snapshotFormat);
            default:
                throw new InvalidSnapshotException(file, d.validBytes(), d.defect(), d.size());
        }
    }

    /** Frames into the file through one buffer. */
    private static final class SnapshotWriter {
        private final LogChannel out;
        private final ByteBuffer buf = ByteBuffer.allocate(WRITE_BUFFER_BYTES);
        private long written;

        SnapshotWriter(LogChannel out) {
            this.out = out;
        }

        void put(byte[] frame) throws IOException {
            if (frame.length > buf.remaining()) {
                flush();
            }
            if (frame.length > buf.capacity()) {
                write(ByteBuffer.wrap(frame));
            } else {
                buf.put(frame);
            }
        }

        void flush() throws IOException {
            buf.flip();
            write(buf);
            buf.clear();
        }

        private void write(ByteBuffer src) throws IOException {
            int n = src.remaining();
            out.writeFully(src, written);
            written += n;
        }
    }
}
