package dev.kvstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

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
    private final KeyIndex index = new KeyIndex(new KeyIndex.Builder());
    /**
     * The state as the decide step sees it: the keys, and no lease and no idempotency record. Cluster mode has neither
     * yet (issue 17's leases need the leader to run expiry): a write naming a lease is refused as unknown on every
     * replica alike, and {@code ReplicatedKeyValueStore} refuses leases and idempotency keys before proposing.
     */
    private final StateMachine.Context context = new StateMachine.Context() {
        @Override
        public Entry get(String key) {
            return index.get(key);
        }

        @Override
        public long revision() {
            return index.revision();
        }

        @Override
        public long leaseTtl(long lease) {
            return -1;
        }

        @Override
        public java.util.Collection<String> leaseKeys(long lease) {
            return List.of();
        }

        @Override
        public IdempotencyRecord record(String scope, String key) {
            return null;
        }
    };
    private final StoreObserver observer;
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
        return index.compactedBytes();
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
        if (index <= appliedIndex) {
            throw new IllegalArgumentException("log index " + index + " applied after " + appliedIndex);
        }
        Command decoded;
        try {
            decoded = CommandCodec.decode(command);
        } catch (MalformedCommandException e) {
            moveTo(term, index);
            return MALFORMED;
        }
        Decision d = machine.decide(context, decoded);
        if (d.writes()) {
            this.index.apply(List.of(d));
        }
        moveTo(term, index);
        return CommandCodec.encodeResult(d.result());
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
     * counter (when any write happened), then a SET frame per live key with its revisions, in key order. The caller
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
            writer.flush();
        }
    }

    /**
     * Replaces the whole state with the snapshot {@code source} (see {@link #writeSnapshot}), taken at log position
     * ({@code term}, {@code index}). Readers see the old state or the new one, never a mix. Nothing changes when the
     * file is not one whole, sound log of this store's magic.
     *
     * @throws InvalidSnapshotException  when it is cut short or damaged
     * @throws IncompatibleLogException  when its frames are of another magic or version
     */
    public void loadSnapshot(Path source, long term, long index) throws IOException {
        KeyIndex.Builder built = new KeyIndex.Builder();
        try (LogChannel in = LogStorage.files().openReadOnly(source)) {
            Diagnosis d = LogRecovery.examine(in, snapshotFormat, null, built);
            switch (d.kind()) {
                case SOUND:
                    break;
                case INCOMPATIBLE:
                    throw new IncompatibleLogException(source, d.foreignOffset(), (byte) d.foundMagic(),
                            (byte) d.foundVersion(), snapshotFormat);
                default:
                    throw new InvalidSnapshotException(source, d.validBytes(), d.defect(), d.size());
            }
        }
        this.index.replaceWith(built);
        moveTo(term, index);
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
