package dev.kvstore.store;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Decides each {@link Command} against a {@link Context}: preconditions, increments, the batch's all-or-nothing rule,
 * leases and idempotency records, and the revision each write takes. It is the engine's one deterministic step: a
 * pure function of the state and the command, which reads no clock, no thread, no file and no setting but the magic
 * byte the frames carry and the size from which strings are stored compressed (LZ4 in pure Java, whose output
 * depends on the bytes only). The same command decided against the same state gives the same {@link Decision}
 * (result, revision, changes and frame bytes) on any machine, which is what lets a replicated log apply it on every
 * replica.
 *
 * <p>It changes nothing itself: the caller applies a decision's changes to the state (the single-node writer after
 * the frame is durable, see {@link Sequencer}). Limits and key syntax are checked before a command reaches it
 * ({@link EntryLimits}).
 *
 * <p>Every write takes the next revision: key writes, a lease's grant (whose id is that revision) and its end, and
 * the record of a refused command sent with an idempotency key (which changes no key). A write that sets a key
 * without a lease and carries no record is a SET or DELETE frame as before leases existed; anything else is one
 * BATCH frame (see {@link Frame}).
 */
final class StateMachine {

    /** What a command is decided against: each key's entry, and the last revision taken. */
    interface State {
        /** The entry of {@code key}, or {@code null} when it has no value. */
        Entry get(String key);

        long revision();
    }

    /** The whole state: the keys, and the leases and idempotency records. */
    interface Context extends State {
        /** The time to live of {@code lease}, or -1 when it is not granted (or has ended). */
        long leaseTtl(long lease);

        /** Keys that may be attached to {@code lease}: all that are, and perhaps some that no longer are. */
        Collection<String> leaseKeys(long lease);

        /** The idempotency record of {@code scope}'s {@code key}, or {@code null}. */
        IdempotencyRecord record(String scope, String key);
    }

    /**
     * A decided command before it becomes a {@link Decision}: a write (revision above 0) with its operations as a
     * BATCH frame holds them, or, for a lone SET or DELETE of a key without a lease, the frame itself; or a refusal.
     */
    private record Written(CommandResult result, long revision, List<Change> changes, List<byte[]> ops,
                           byte[] single, Decision.Grant granted, long ended) {

        static Written refused(CommandResult result) {
            return new Written(result, 0, List.of(), List.of(), null, null, 0);
        }

        boolean writes() {
            return revision > 0;
        }

        /** Its operations as a BATCH frame holds them. */
        List<byte[]> batchOps() {
            return single == null ? ops : List.of(Frame.asBatchOp(single));
        }
    }

    private final byte magic;
    /** Strings of at least this many UTF-8 bytes are stored compressed when that makes them smaller. */
    private final int compressAt;

    StateMachine(byte magic) {
        this(magic, StoreOptions.DEFAULT_COMPRESSION_MIN_BYTES);
    }

    StateMachine(byte magic, int compressAt) {
        this.magic = magic;
        this.compressAt = compressAt;
    }

    /**
     * The stored form of each value a command carries ({@link Frame#stored}): UTF-8, compressed when large. A pure
     * function of the values, so it can be made ahead, on the caller's thread, and handed to {@link #decide}: the
     * writer thread decides for everyone, and encoding and compressing a large value is most of what a decision
     * costs.
     */
    Prepared prepare(Command command) {
        if (command instanceof Command.Idempotent c) {
            return prepare(c.command());
        }
        if (command instanceof Command.Put c) {
            return new Prepared(new Value[] {c.value()}, new Frame.Stored[] {Frame.stored(c.value(), compressAt)});
        }
        if (command instanceof Command.Batch b) {
            List<BatchOperation> ops = b.operations();
            Value[] values = new Value[ops.size()];
            Frame.Stored[] stored = new Frame.Stored[ops.size()];
            for (int i = 0; i < ops.size(); i++) {
                if (!ops.get(i).isDelete()) {
                    values[i] = ops.get(i).value();
                    stored[i] = Frame.stored(values[i], compressAt);
                }
            }
            return new Prepared(values, stored);
        }
        return Prepared.NONE;
    }

    /** Stored forms made ahead by {@link #prepare}, found by the identity of the value. */
    static final class Prepared {
        static final Prepared NONE = new Prepared(new Value[0], new Frame.Stored[0]);
        private final Value[] values;
        private final Frame.Stored[] stored;

        private Prepared(Value[] values, Frame.Stored[] stored) {
            this.values = values;
            this.stored = stored;
        }

        private Frame.Stored get(Value value) {
            for (int i = 0; i < values.length; i++) {
                if (values[i] == value) {
                    return stored[i];
                }
            }
            return null;
        }
    }

    Decision decide(Context state, Command command) {
        return decide(state, command, Prepared.NONE);
    }

    /** As {@link #decide(Context, Command)}, with the stored forms of its values made ahead (the same result). */
    Decision decide(Context state, Command command, Prepared prepared) {
        if (command instanceof Command.Idempotent c) {
            return idempotent(state, c, prepared);
        }
        Written w = write(state, command, prepared);
        if (!w.writes()) {
            return Decision.refused(command, w.result());
        }
        byte[] frame = w.single() != null ? w.single() : Frame.encodeBatch(magic, w.ops(), w.revision());
        return new Decision(command, w.result(), w.revision(), w.changes(), frame, w.granted(), w.ended(), null);
    }

    private Written write(Context state, Command command, Prepared prepared) {
        if (command instanceof Command.Put c) {
            return put(state, c, prepared);
        }
        if (command instanceof Command.Delete c) {
            return delete(state, c);
        }
        if (command instanceof Command.Increment c) {
            return increment(state, c);
        }
        if (command instanceof Command.GrantLease c) {
            return grant(state, c);
        }
        if (command instanceof Command.RevokeLease c) {
            return revoke(state, c);
        }
        return batch(state, (Command.Batch) command, prepared);
    }

    private Frame.Stored stored(Value value, Prepared prepared) {
        Frame.Stored s = prepared.get(value);
        return s != null ? s : Frame.stored(value, compressAt);
    }

    /**
     * The first request with an idempotency key is decided, and its record goes into the same frame under the same
     * revision (a refused command's record takes a revision of its own). A repeat decides nothing.
     */
    private Decision idempotent(Context state, Command.Idempotent c, Prepared prepared) {
        IdempotencyRecord known = state.record(c.scope(), c.key());
        if (known != null) {
            return Decision.refused(c, known.fingerprint().equals(c.fingerprint())
                    ? new IdempotentResult(IdempotentResult.Status.REPLAYED, known.result())
                    : new IdempotentResult(IdempotentResult.Status.MISMATCH, null));
        }
        Written w = write(state, c.command(), prepared);
        long revision = w.writes() ? w.revision() : state.revision() + 1;
        IdempotencyRecord record = IdempotencyRecord.of(c, revision, w.result());
        List<byte[]> ops = new ArrayList<>(w.batchOps());
        ops.add(Frame.encodeRecordOp(record));
        return new Decision(c, new IdempotentResult(IdempotentResult.Status.APPLIED, w.result()), revision,
                w.changes(), Frame.encodeBatch(magic, ops, revision), w.granted(), w.ended(), record);
    }

    private Written put(Context state, Command.Put c, Prepared prepared) {
        Entry current = state.get(c.key());
        if (!c.precondition().test(current)) {
            return Written.refused(new WriteResult(WriteOutcome.PRECONDITION_FAILED, current, 0));
        }
        return set(state, c.key(), c.value(), stored(c.value(), prepared), current, c.lease());
    }

    private Written delete(Context state, Command.Delete c) {
        Entry current = state.get(c.key());
        if (!c.precondition().test(current)) {
            return Written.refused(new WriteResult(WriteOutcome.PRECONDITION_FAILED, current, 0));
        }
        if (current == null) {
            return Written.refused(new WriteResult(WriteOutcome.NOT_FOUND, null, 0));
        }
        long revision = state.revision() + 1;
        return new Written(new WriteResult(WriteOutcome.DELETED, current, revision), revision,
                List.of(new Change(c.key(), current, null)), null,
                Frame.encodeDeleteV2(magic, Utf8.encode(c.key()), revision), null, 0);
    }

    private Written increment(Context state, Command.Increment c) {
        Entry current = state.get(c.key());
        if (!c.precondition().test(current)) {
            return Written.refused(new WriteResult(WriteOutcome.PRECONDITION_FAILED, current, 0));
        }
        if (current == null) {
            return set(state, c.key(), c.step(), Frame.stored(c.step(), compressAt), null, c.lease());
        }
        WriteOutcome refusal = refusal(current.value(), c.step());
        if (refusal != null) {
            return Written.refused(new WriteResult(refusal, current, 0));
        }
        Value sum = sum(current.value(), c.step());
        return set(state, c.key(), sum, Frame.stored(sum, compressAt), current, c.lease());
    }

    /**
     * Sets {@code key}, whose entry is {@code current}, to {@code value} (stored as given) under the next revision,
     * with the lease {@code how} says; refused when it names a lease that does not exist.
     */
    private Written set(Context state, String key, Value value, Frame.Stored stored, Entry current, KeyLease how) {
        long revision = state.revision() + 1;
        long lease = leaseOf(state, how, current, revision);
        if (lease < 0) {
            return Written.refused(new WriteResult(WriteOutcome.LEASE_NOT_FOUND, current, 0));
        }
        Entry entry = Entry.of(value, revision, current == null ? revision : current.createRevision(), lease);
        WriteResult result = new WriteResult(current == null ? WriteOutcome.CREATED : WriteOutcome.REPLACED, entry,
                revision);
        List<Change> changes = List.of(new Change(key, current, entry));
        byte[] keyBytes = Utf8.encode(key);
        if (lease == 0) {
            return new Written(result, revision, changes, null,
                    Frame.encodeSetV2(magic, keyBytes, stored, revision, entry.createRevision()), null, 0);
        }
        byte[] setOp = Frame.encodeSetOp(keyBytes, stored, entry.createRevision(), lease);
        if (how instanceof KeyLease.Grant g) {
            return new Written(result, revision, changes, List.of(Frame.encodeGrantOp(lease, g.ttlMillis()), setOp),
                    null, new Decision.Grant(lease, g.ttlMillis()), 0);
        }
        return new Written(result, revision, changes, List.of(setOp), null, null, 0);
    }

    /**
     * The lease a key set under {@code revision} gets: 0 for none, the new lease's id ({@code revision}) for a grant,
     * or -1 when {@code how} names a lease that does not exist.
     */
    private static long leaseOf(Context state, KeyLease how, Entry current, long revision) {
        if (how instanceof KeyLease.Attach a) {
            return state.leaseTtl(a.id()) < 0 ? -1 : a.id();
        }
        if (how instanceof KeyLease.Grant) {
            return revision;
        }
        return how instanceof KeyLease.Keep && current != null ? current.lease() : 0;
    }

    private Written grant(Context state, Command.GrantLease c) {
        long revision = state.revision() + 1;
        return new Written(new LeaseResult(LeaseOutcome.GRANTED, revision, c.ttlMillis(), revision, 0), revision,
                List.of(), List.of(Frame.encodeGrantOp(revision, c.ttlMillis())), null,
                new Decision.Grant(revision, c.ttlMillis()), 0);
    }

    /** Ends a lease and deletes its keys, in key order, under one revision. */
    private Written revoke(Context state, Command.RevokeLease c) {
        long ttl = state.leaseTtl(c.lease());
        List<String> keys = new ArrayList<>();
        for (String key : state.leaseKeys(c.lease())) {
            Entry e = state.get(key);
            if (e != null && e.lease() == c.lease()) {
                keys.add(key);
            }
        }
        if (ttl < 0 && keys.isEmpty()) {
            return Written.refused(new LeaseResult(LeaseOutcome.NOT_FOUND, c.lease(), 0, 0, 0));
        }
        keys.sort(KeyOrder.CODE_POINTS);
        if (c.keyPrefix() != null && !keys.stream().allMatch(k -> k.startsWith(c.keyPrefix()))) {
            return Written.refused(new LeaseResult(LeaseOutcome.OUT_OF_SCOPE, c.lease(), Math.max(ttl, 0), 0,
                    keys.size()));
        }
        long revision = state.revision() + 1;
        Change.Op op = c.expired() ? Change.Op.EXPIRE : Change.Op.DELETE;
        List<Change> changes = new ArrayList<>(keys.size());
        for (String key : keys) {
            changes.add(new Change(key, state.get(key), null, op));
        }
        return new Written(new LeaseResult(c.expired() ? LeaseOutcome.EXPIRED : LeaseOutcome.REVOKED, c.lease(),
                Math.max(ttl, 0), revision, keys.size()), revision, changes,
                List.of(Frame.encodeRevokeOp(c.lease(), c.expired())), null, null, c.lease());
    }

    /** Why {@code step} cannot be added to {@code value}, or {@code null} when it can. */
    private static WriteOutcome refusal(Value value, Value step) {
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

    private static Value sum(Value value, Value step) {
        if (value instanceof Value.Int i) {
            return Value.of(i.value() + ((Value.Int) step).value());
        }
        return Value.of(((Value.Float) value).value() + asDouble(step));
    }

    private static double asDouble(Value step) {
        return step instanceof Value.Int i ? (double) i.value() : ((Value.Float) step).value();
    }

    /**
     * Every operation's precondition is tested against the state before the batch, then every lease it attaches
     * to; if one fails, nothing is written. Otherwise all of them take one revision and go into one frame.
     */
    private Written batch(Context state, Command.Batch c, Prepared prepared) {
        List<BatchOperation> ops = c.operations();
        Entry[] currents = new Entry[ops.size()];
        int failed = -1;
        for (int i = 0; i < ops.size(); i++) {
            currents[i] = state.get(ops.get(i).key());
            if (failed < 0 && !ops.get(i).precondition().test(currents[i])) {
                failed = i;
            }
        }
        if (failed >= 0) {
            List<WriteResult> results = new ArrayList<>(ops.size());
            for (int i = 0; i < ops.size(); i++) {
                boolean holds = i != failed && (i < failed || ops.get(i).precondition().test(currents[i]));
                results.add(new WriteResult(holds ? WriteOutcome.ABORTED : WriteOutcome.PRECONDITION_FAILED,
                        currents[i], 0));
            }
            return Written.refused(new BatchResult(false, 0, results, failed));
        }
        long revision = state.revision() + 1;
        long[] leases = new long[ops.size()];
        for (int i = 0; i < ops.size(); i++) {
            leases[i] = ops.get(i).isDelete() ? 0 : leaseOf(state, ops.get(i).lease(), currents[i], revision);
            if (leases[i] < 0) {
                List<WriteResult> results = new ArrayList<>(ops.size());
                for (int j = 0; j < ops.size(); j++) {
                    results.add(new WriteResult(j == i ? WriteOutcome.LEASE_NOT_FOUND : WriteOutcome.ABORTED,
                            currents[j], 0));
                }
                return Written.refused(new BatchResult(false, 0, results, i));
            }
        }
        List<WriteResult> results = new ArrayList<>(ops.size());
        List<Change> changes = new ArrayList<>(ops.size());
        List<byte[]> frameOps = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            BatchOperation op = ops.get(i);
            Entry current = currents[i];
            Entry entry = op.isDelete() ? null : Entry.of(op.value(), revision,
                    current == null ? revision : current.createRevision(), leases[i]);
            frameOps.add(op.isDelete()
                    ? Frame.encodeBatchOp(Frame.OP_DELETE, Frame.ENCODING_UTF8, Utf8.encode(op.key()), new byte[0], 0)
                    : Frame.encodeSetOp(Utf8.encode(op.key()), stored(op.value(), prepared), entry.createRevision(),
                            leases[i]));
            if (entry != null || current != null) {
                changes.add(new Change(op.key(), current, entry));
            }
            WriteOutcome outcome = entry != null ? current == null ? WriteOutcome.CREATED : WriteOutcome.REPLACED
                    : current == null ? WriteOutcome.NOT_FOUND : WriteOutcome.DELETED;
            results.add(new WriteResult(outcome, entry != null ? entry : current, revision));
        }
        return new Written(new BatchResult(true, revision, results, -1), revision, changes, frameOps, null, null, 0);
    }
}
