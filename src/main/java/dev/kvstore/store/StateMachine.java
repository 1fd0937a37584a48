package dev.kvstore.store;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides each {@link Command} against a {@link State}: preconditions, increments, the batch's all-or-nothing rule,
 * and the revision each write takes. It is the engine's one deterministic step: a pure function of the state and
 * the command, which reads no clock, no thread, no file and no setting but the magic byte the frames carry and the
 * size from which strings are stored compressed (LZ4 in pure Java, whose output depends on the bytes only). The same
 * command decided against the same state gives the same {@link Decision} (result, revision, changes and frame
 * bytes) on any machine, which is what lets a replicated log apply it on every replica.
 *
 * <p>It changes nothing itself: the caller applies a decision's changes to the state (the single-node writer after
 * the frame is durable, see {@link Sequencer}). Limits and key syntax are checked before a command reaches it
 * ({@link EntryLimits}).
 */
final class StateMachine {

    /** What a command is decided against: each key's entry, and the last revision taken. */
    interface State {
        /** The entry of {@code key}, or {@code null} when it has no value. */
        Entry get(String key);

        long revision();
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

    Decision decide(State state, Command command) {
        return decide(state, command, Prepared.NONE);
    }

    /** As {@link #decide(State, Command)}, with the stored forms of its values made ahead (the same result). */
    Decision decide(State state, Command command, Prepared prepared) {
        if (command instanceof Command.Put c) {
            return put(state, c, prepared);
        }
        if (command instanceof Command.Delete c) {
            return delete(state, c);
        }
        if (command instanceof Command.Increment c) {
            return increment(state, c);
        }
        return batch(state, (Command.Batch) command, prepared);
    }

    private Frame.Stored stored(Value value, Prepared prepared) {
        Frame.Stored s = prepared.get(value);
        return s != null ? s : Frame.stored(value, compressAt);
    }

    private Decision put(State state, Command.Put c, Prepared prepared) {
        Entry current = state.get(c.key());
        if (!c.precondition().test(current)) {
            return Decision.refused(c, new WriteResult(WriteOutcome.PRECONDITION_FAILED, current, 0));
        }
        return set(state, c, c.key(), c.value(), stored(c.value(), prepared), current);
    }

    private Decision delete(State state, Command.Delete c) {
        Entry current = state.get(c.key());
        if (!c.precondition().test(current)) {
            return Decision.refused(c, new WriteResult(WriteOutcome.PRECONDITION_FAILED, current, 0));
        }
        if (current == null) {
            return Decision.refused(c, new WriteResult(WriteOutcome.NOT_FOUND, null, 0));
        }
        long revision = state.revision() + 1;
        return new Decision(c, new WriteResult(WriteOutcome.DELETED, current, revision), revision,
                List.of(new Change(c.key(), current, null)), Frame.encodeDeleteV2(magic, Utf8.encode(c.key()),
                        revision));
    }

    private Decision increment(State state, Command.Increment c) {
        Entry current = state.get(c.key());
        if (!c.precondition().test(current)) {
            return Decision.refused(c, new WriteResult(WriteOutcome.PRECONDITION_FAILED, current, 0));
        }
        if (current == null) {
            return set(state, c, c.key(), c.step(), Frame.stored(c.step(), compressAt), null);
        }
        WriteOutcome refusal = refusal(current.value(), c.step());
        if (refusal != null) {
            return Decision.refused(c, new WriteResult(refusal, current, 0));
        }
        Value sum = sum(current.value(), c.step());
        return set(state, c, c.key(), sum, Frame.stored(sum, compressAt), current);
    }

    /** Sets {@code key}, whose entry is {@code current}, to {@code value} (stored as given) under the next revision. */
    private Decision set(State state, Command command, String key, Value value, Frame.Stored stored, Entry current) {
        long revision = state.revision() + 1;
        Entry entry = new Entry(value, revision, current == null ? revision : current.createRevision());
        byte[] frame = Frame.encodeSetV2(magic, Utf8.encode(key), stored, revision, entry.createRevision());
        return new Decision(command, new WriteResult(current == null ? WriteOutcome.CREATED : WriteOutcome.REPLACED,
                entry, revision), revision, List.of(new Change(key, current, entry)), frame);
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
     * Every operation's precondition is tested against the state before the batch; if one fails, nothing is
     * written. Otherwise all of them take one revision and go into one frame.
     */
    private Decision batch(State state, Command.Batch c, Prepared prepared) {
        List<BatchOperation> ops = c.operations();
        Entry[] currents = new Entry[ops.size()];
        int failed = -1;
        for (int i = 0; i < ops.size(); i++) {
            currents[i] = state.get(ops.get(i).key());
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
            return Decision.refused(c, new BatchResult(false, 0, results, failed));
        }
        long revision = state.revision() + 1;
        List<Change> changes = new ArrayList<>(ops.size());
        List<byte[]> frameOps = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            BatchOperation op = ops.get(i);
            Entry current = currents[i];
            Entry entry = op.isDelete() ? null
                    : new Entry(op.value(), revision, current == null ? revision : current.createRevision());
            Frame.Stored stored = op.isDelete() ? null : stored(op.value(), prepared);
            frameOps.add(op.isDelete()
                    ? Frame.encodeBatchOp(Frame.OP_DELETE, Frame.ENCODING_UTF8, Utf8.encode(op.key()), new byte[0], 0)
                    : Frame.encodeBatchOp(Frame.OP_SET, stored.encoding(), Utf8.encode(op.key()), stored.bytes(),
                            entry.createRevision()));
            if (entry != null || current != null) {
                changes.add(new Change(op.key(), current, entry));
            }
            WriteOutcome outcome = entry != null ? current == null ? WriteOutcome.CREATED : WriteOutcome.REPLACED
                    : current == null ? WriteOutcome.NOT_FOUND : WriteOutcome.DELETED;
            results.add(new WriteResult(outcome, entry != null ? entry : current, revision));
        }
        return new Decision(c, new BatchResult(true, revision, results, -1), revision, changes,
                Frame.encodeBatch(magic, frameOps, revision));
    }
}
