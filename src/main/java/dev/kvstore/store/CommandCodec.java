package dev.kvstore.store;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The binary form of a {@link Command} and of its {@link CommandResult}: what a replicated log (Apache Ratis, issue
 * 15) carries to every replica and back to the proposer. Stable: a replica must decode what another one encoded, so
 * the layout only ever grows by new kinds and tags, under a new version byte if an existing one must change. Every
 * value has exactly one encoding, so {@code encode(decode(bytes))} gives back the same bytes.
 *
 * <p>All integers are little-endian; {@code u8}, {@code u16}, {@code u32} unsigned, {@code i32}, {@code i64} signed.
 * <pre>
 * command      := version u8 (1) , kind u8 , body
 *   kind 1 PUT        key value precondition
 *   kind 2 DELETE     key precondition
 *   kind 3 INCREMENT  key value(step) precondition
 *   kind 4 BATCH      count u32 , operation * count
 * operation    := op u8 (1 PUT, 2 DELETE) , key , value (PUT only) , precondition
 * key          := length u32 , UTF-8 bytes
 * value        := type u8 (0 string, 1 integer, 2 float: the frame's encoding byte) ,
 *                 string: length u32 , UTF-8 bytes | integer: i64 | float: IEEE-754 bits i64
 * precondition := tag u8 : 0 NONE | 1 IF_REVISION revision i64 | 2 IF_ABSENT | 3 IF_EXISTS
 *                        | 4 ALL_OF count u16 , precondition * count | 5 ANY_OF count u16 , precondition * count
 *                        | 6 NOT precondition                           (nested at most 16 deep)
 *
 * result       := version u8 (1) , kind u8 , body
 *   kind 1 WRITE  write
 *   kind 2 BATCH  applied u8 (0 or 1) , revision i64 , failedIndex i32 , count u32 , write * count
 * write        := outcome u8 , revision i64 , has-entry u8 (0 or 1) , entry (if 1)
 * entry        := value , revision i64 , createRevision i64
 * outcome      := 1 CREATED 2 REPLACED 3 DELETED 4 NOT_FOUND 5 PRECONDITION_FAILED 6 NOT_A_NUMBER
 *                 7 TYPE_MISMATCH 8 ABORTED 9 OVERFLOW
 * </pre>
 * Decoding checks the form only (lengths within the bytes, known tags, strict UTF-8, nothing left over) and refuses
 * anything else with {@link MalformedCommandException}; whether the store takes a command (key and value limits, a
 * finite float, a batch on distinct keys) is checked separately, by the store's limits.
 */
public final class CommandCodec {

    static final byte VERSION = 1;

    static final byte KIND_PUT = 1;
    static final byte KIND_DELETE = 2;
    static final byte KIND_INCREMENT = 3;
    static final byte KIND_BATCH = 4;

    static final byte OP_PUT = 1;
    static final byte OP_DELETE = 2;

    static final byte PRE_NONE = 0;
    static final byte PRE_IF_REVISION = 1;
    static final byte PRE_IF_ABSENT = 2;
    static final byte PRE_IF_EXISTS = 3;
    static final byte PRE_ALL_OF = 4;
    static final byte PRE_ANY_OF = 5;
    static final byte PRE_NOT = 6;
    static final int MAX_PRECONDITION_DEPTH = 16;

    static final byte RESULT_WRITE = 1;
    static final byte RESULT_BATCH = 2;

    /** The outcome codes, by {@link WriteOutcome}: fixed here, not taken from the enum's order. */
    private static final WriteOutcome[] OUTCOMES = {null, WriteOutcome.CREATED, WriteOutcome.REPLACED,
        WriteOutcome.DELETED, WriteOutcome.NOT_FOUND, WriteOutcome.PRECONDITION_FAILED, WriteOutcome.NOT_A_NUMBER,
        WriteOutcome.TYPE_MISMATCH, WriteOutcome.ABORTED, WriteOutcome.OVERFLOW};

    private CommandCodec() {
    }

    // ---- commands ----

    /**
     * The bytes of {@code command}.
     *
     * @throws IllegalArgumentException for a key or string with no UTF-8 form (an unpaired surrogate)
     */
    public static byte[] encode(Command command) {
        Out out = new Out();
        out.u8(VERSION);
        if (command instanceof Command.Put c) {
            out.u8(KIND_PUT).key(c.key()).value(c.value()).precondition(c.precondition());
        } else if (command instanceof Command.Delete c) {
            out.u8(KIND_DELETE).key(c.key()).precondition(c.precondition());
        } else if (command instanceof Command.Increment c) {
            out.u8(KIND_INCREMENT).key(c.key()).value(c.step()).precondition(c.precondition());
        } else {
            List<BatchOperation> ops = ((Command.Batch) command).operations();
            out.u8(KIND_BATCH).u32(ops.size());
            for (BatchOperation op : ops) {
                out.u8(op.isDelete() ? OP_DELETE : OP_PUT).key(op.key());
                if (!op.isDelete()) {
                    out.value(op.value());
                }
                out.precondition(op.precondition());
            }
        }
        return out.bytes();
    }

    /**
     * The command in {@code bytes}.
     *
     * @throws MalformedCommandException when they are not one, exactly
     */
    public static Command decode(byte[] bytes) {
        In in = new In(bytes);
        try {
            in.version();
            byte kind = in.u8();
            Command c = switch (kind) {
                case KIND_PUT -> new Command.Put(in.key(), in.value(), in.precondition(0));
                case KIND_DELETE -> new Command.Delete(in.key(), in.precondition(0));
                case KIND_INCREMENT -> new Command.Increment(in.key(), in.value(), in.precondition(0));
                case KIND_BATCH -> new Command.Batch(in.operations());
                default -> throw in.malformed("unknown command kind " + kind);
            };
            in.end();
            return c;
        } catch (BufferUnderflowException e) {
            throw in.malformed("the bytes end inside a field");
        }
    }

    // ---- results ----

    /** The bytes of {@code result}. */
    public static byte[] encodeResult(CommandResult result) {
        Out out = new Out();
        out.u8(VERSION);
        if (result instanceof WriteResult w) {
            out.u8(RESULT_WRITE).write(w);
        } else {
            BatchResult b = (BatchResult) result;
            out.u8(RESULT_BATCH).u8(b.applied() ? 1 : 0).i64(b.revision()).i32(b.failedIndex())
                    .u32(b.results().size());
            for (WriteResult w : b.results()) {
                out.write(w);
            }
        }
        return out.bytes();
    }

    /**
     * The result in {@code bytes}.
     *
     * @throws MalformedCommandException when they are not one, exactly
     */
    public static CommandResult decodeResult(byte[] bytes) {
        In in = new In(bytes);
        try {
            in.version();
            byte kind = in.u8();
            CommandResult r = switch (kind) {
                case RESULT_WRITE -> in.write();
                case RESULT_BATCH -> {
                    boolean applied = in.bool();
                    long revision = in.i64();
                    int failedIndex = in.i32();
                    int count = in.count(1 + 8 + 1);
                    List<WriteResult> results = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        results.add(in.write());
                    }
                    yield new BatchResult(applied, revision, results, failedIndex);
                }
                default -> throw in.malformed("unknown result kind " + kind);
            };
            in.end();
            return r;
        } catch (BufferUnderflowException e) {
            throw in.malformed("the bytes end inside a field");
        }
    }

    private static byte outcomeCode(WriteOutcome outcome) {
        return (byte) Arrays.asList(OUTCOMES).indexOf(outcome);
    }

    /** A growing little-endian buffer. */
    private static final class Out {
        private ByteBuffer buf = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);

        private Out room(int n) {
            if (buf.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n))
                        .order(ByteOrder.LITTLE_ENDIAN);
                bigger.put(buf.flip());
                buf = bigger;
            }
            return this;
        }

        Out u8(int v) {
            room(1).buf.put((byte) v);
            return this;
        }

        Out u16(int v) {
            room(2).buf.putShort((short) v);
            return this;
        }

        Out u32(int v) {
            return i32(v);
        }

        Out i32(int v) {
            room(4).buf.putInt(v);
            return this;
        }

        Out i64(long v) {
            room(8).buf.putLong(v);
            return this;
        }

        Out utf8(String s) {
            byte[] b = Utf8.encode(s);
            u32(b.length);
            room(b.length).buf.put(b);
            return this;
        }

        Out key(String key) {
            return utf8(key);
        }

        Out value(Value v) {
            u8(v.type().encoding());
            if (v instanceof Value.Text t) {
                return utf8(t.value());
            }
            return i64(v instanceof Value.Int i ? i.value() : Double.doubleToRawLongBits(((Value.Float) v).value()));
        }

        Out precondition(Precondition p) {
            if (p instanceof Precondition.None) {
                return u8(PRE_NONE);
            }
            if (p instanceof Precondition.IfRevision r) {
                return u8(PRE_IF_REVISION).i64(r.revision());
            }
            if (p instanceof Precondition.IfAbsent) {
                return u8(PRE_IF_ABSENT);
            }
            if (p instanceof Precondition.IfExists) {
                return u8(PRE_IF_EXISTS);
            }
            if (p instanceof Precondition.Not n) {
                return u8(PRE_NOT).precondition(n.condition());
            }
            List<Precondition> list = p instanceof Precondition.AllOf a ? a.conditions()
                    : ((Precondition.AnyOf) p).conditions();
            if (list.size() > 0xFFFF) {
                throw new IllegalArgumentException("a precondition holds at most 65535 conditions");
            }
            u8(p instanceof Precondition.AllOf ? PRE_ALL_OF : PRE_ANY_OF).u16(list.size());
            for (Precondition c : list) {
                precondition(c);
            }
            return this;
        }

        Out write(WriteResult w) {
            u8(outcomeCode(w.outcome())).i64(w.revision()).u8(w.entry() == null ? 0 : 1);
            if (w.entry() != null) {
                value(w.entry().value()).i64(w.entry().revision()).i64(w.entry().createRevision());
            }
            return this;
        }

        byte[] bytes() {
            return Arrays.copyOf(buf.array(), buf.position());
        }
    }

    /** A little-endian reader that refuses whatever is not exactly one well-formed value. */
    private static final class In {
        private final ByteBuffer buf;

        In(byte[] bytes) {
            this.buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }

        MalformedCommandException malformed(String what) {
            return new MalformedCommandException(what, buf.position());
        }

        void version() {
            byte v = u8();
            if (v != VERSION) {
                throw malformed("unknown version " + (v & 0xFF));
            }
        }

        void end() {
            if (buf.hasRemaining()) {
                throw malformed(buf.remaining() + " bytes follow the end");
            }
        }

        byte u8() {
            return buf.get();
        }

        boolean bool() {
            byte b = u8();
            if (b != 0 && b != 1) {
                throw malformed("a flag must be 0 or 1, not " + b);
            }
            return b == 1;
        }

        int i32() {
            return buf.getInt();
        }

        long i64() {
            return buf.getLong();
        }

        /** A u32 count of items of at least {@code minBytes} each, which the bytes left can hold. */
        int count(int minBytes) {
            long n = Integer.toUnsignedLong(buf.getInt());
            if (n * minBytes > buf.remaining()) {
                throw malformed("a count of " + n + " does not fit in the " + buf.remaining() + " bytes left");
            }
            return (int) n;
        }

        String utf8() {
            long n = Integer.toUnsignedLong(buf.getInt());
            if (n > buf.remaining()) {
                throw malformed("a length of " + n + " exceeds the " + buf.remaining() + " bytes left");
            }
            int at = buf.position();
            String s = Utf8.decode(buf.array(), at, (int) n);
            if (s == null) {
                throw malformed("a string is not valid UTF-8");
            }
            buf.position(at + (int) n);
            return s;
        }

        String key() {
            return utf8();
        }

        Value value() {
            byte type = u8();
            if (type == ValueType.STRING.encoding()) {
                return Value.of(utf8());
            }
            if (type == ValueType.INTEGER.encoding()) {
                return Value.of(i64());
            }
            if (type == ValueType.FLOAT.encoding()) {
                return Value.of(Double.longBitsToDouble(i64()));
            }
            throw malformed("unknown value type " + type);
        }

        Precondition precondition(int depth) {
            if (depth > MAX_PRECONDITION_DEPTH) {
                throw malformed("preconditions nested deeper than " + MAX_PRECONDITION_DEPTH);
            }
            byte tag = u8();
            switch (tag) {
                case PRE_NONE:
                    return Precondition.NONE;
                case PRE_IF_REVISION:
                    return Precondition.ifRevision(i64());
                case PRE_IF_ABSENT:
                    return Precondition.ifAbsent();
                case PRE_IF_EXISTS:
                    return Precondition.ifExists();
                case PRE_NOT:
                    return Precondition.not(precondition(depth + 1));
                case PRE_ALL_OF:
                case PRE_ANY_OF:
                    int n = Short.toUnsignedInt(buf.getShort());
                    if (n > buf.remaining()) {
                        throw malformed("a list of " + n + " conditions does not fit in the bytes left");
                    }
                    List<Precondition> list = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        list.add(precondition(depth + 1));
                    }
                    return tag == PRE_ALL_OF ? Precondition.allOf(list) : Precondition.anyOf(list);
                default:
                    throw malformed("unknown precondition tag " + tag);
            }
        }

        List<BatchOperation> operations() {
            // The smallest operation: op, an empty key's length, a NONE precondition.
            int count = count(1 + 4 + 1);
            List<BatchOperation> ops = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                byte op = u8();
                if (op == OP_PUT) {
                    ops.add(BatchOperation.set(key(), value(), precondition(0)));
                } else if (op == OP_DELETE) {
                    ops.add(BatchOperation.delete(key(), precondition(0)));
                } else {
                    throw malformed("unknown batch operation " + op);
                }
            }
            return ops;
        }

        WriteResult write() {
            int code = u8() & 0xFF;
            if (code == 0 || code >= OUTCOMES.length) {
                throw malformed("unknown outcome " + code);
            }
            long revision = i64();
            Entry entry = bool() ? new Entry(value(), i64(), i64()) : null;
            return new WriteResult(OUTCOMES[code], entry, revision);
        }
    }
}
