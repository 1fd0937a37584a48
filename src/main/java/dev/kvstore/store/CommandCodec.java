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
 *   kind 1 PUT               key value precondition                    (no lease: a PUT detaches)
 *   kind 2 DELETE            key precondition
 *   kind 3 INCREMENT         key value(step) precondition              (the key keeps its lease)
 *   kind 4 BATCH             count u32 , operation * count
 *   kind 5 GRANT_LEASE       ttl_ms i64
 *   kind 6 REVOKE_LEASE      lease i64 , expired u8 (0 or 1) , has-prefix u8 (0 or 1) , prefix (utf8, if 1)
 *   kind 7 IDEMPOTENT        scope (utf8) , key (utf8) , fingerprint i64 i64 , time_ms i64 ,
 *                            command (a whole command, version byte included; not IDEMPOTENT)
 *   kind 8 PUT_LEASED        key value precondition lease             (lease not NONE)
 *   kind 9 INCREMENT_LEASED  key value(step) precondition lease       (lease not KEEP)
 * operation    := op u8 (1 PUT, 2 DELETE, 3 PUT_LEASED) , key , value (PUT and PUT_LEASED) , precondition ,
 *                 lease (PUT_LEASED only, not NONE)
 * lease        := tag u8 : 1 NONE | 2 KEEP | 3 ATTACH id i64 (&gt; 0) | 4 GRANT ttl_ms i64
 * key          := length u32 , UTF-8 bytes
 * value        := type u8 (0 string, 1 integer, 2 float: the frame's encoding byte) ,
 *                 string: length u32 , UTF-8 bytes | integer: i64 | float: IEEE-754 bits i64
 * precondition := tag u8 : 0 NONE | 1 IF_REVISION revision i64 | 2 IF_ABSENT | 3 IF_EXISTS
 *                        | 4 ALL_OF count u16 , precondition * count | 5 ANY_OF count u16 , precondition * count
 *                        | 6 NOT precondition                           (nested at most 16 deep)
 *
 * result       := version u8 (1) , kind u8 , body
 *   kind 1 WRITE       write
 *   kind 2 BATCH       applied u8 (0 or 1) , revision i64 , failedIndex i32 , count u32 , write * count
 *   kind 3 LEASE       lease-outcome u8 , lease i64 , ttl_ms i64 , revision i64 , keys u32
 *   kind 4 IDEMPOTENT  status u8 (1 APPLIED 2 REPLAYED 3 MISMATCH 4 IN_FLIGHT) , has-result u8 (0 or 1) ,
 *                      result (a whole result, version byte included, if 1)
 * write        := outcome u8 , revision i64 , has-entry u8 (0 none, 1 an entry, 2 an entry with a lease) ,
 *                 entry (if 1 or 2)
 * entry        := value , revision i64 , createRevision i64 , lease i64 (if has-entry is 2; &gt; 0)
 * outcome      := 1 CREATED 2 REPLACED 3 DELETED 4 NOT_FOUND 5 PRECONDITION_FAILED 6 NOT_A_NUMBER
 *                 7 TYPE_MISMATCH 8 ABORTED 9 OVERFLOW 10 LEASE_NOT_FOUND
 * lease-outcome := 1 GRANTED 2 REVOKED 3 EXPIRED 4 NOT_FOUND 5 OUT_OF_SCOPE
 * </pre>
 * In cluster mode, a replica also takes a command behind a term guard ({@code 0xE7, term i64, command}; see
 * {@link ReplicaStore}): the leader's lease expiries, which change nothing when logged in another term.
 *
 * <p>Decoding checks the form only (lengths within the bytes, known tags, strict UTF-8, nothing left over) and refuses
 * anything else with {@link MalformedCommandException}; whether the store takes a command (key and value limits, a
 * finite float, a batch on distinct keys) is checked separately, by the store's limits.
 */
public final class CommandCodec {

    static final byte VERSION = 1;

    static final byte KIND_PUT = 1;
    static final byte KIND_DELETE = 2;
    static final byte KIND_INCREMENT = 3;
    static final byte KIND_BATCH = 4;
    static final byte KIND_GRANT_LEASE = 5;
    static final byte KIND_REVOKE_LEASE = 6;
    static final byte KIND_IDEMPOTENT = 7;
    static final byte KIND_PUT_LEASED = 8;
    static final byte KIND_INCREMENT_LEASED = 9;

    static final byte OP_PUT = 1;
    static final byte OP_DELETE = 2;
    static final byte OP_PUT_LEASED = 3;

    static final byte LEASE_NONE = 1;
    static final byte LEASE_KEEP = 2;
    static final byte LEASE_ATTACH = 3;
    static final byte LEASE_GRANT = 4;

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
    static final byte RESULT_LEASE = 3;
    static final byte RESULT_IDEMPOTENT = 4;

    /** The outcome codes, by {@link WriteOutcome}: fixed here, not taken from the enum's order. */
    private static final WriteOutcome[] OUTCOMES = {null, WriteOutcome.CREATED, WriteOutcome.REPLACED,
        WriteOutcome.DELETED, WriteOutcome.NOT_FOUND, WriteOutcome.PRECONDITION_FAILED, WriteOutcome.NOT_A_NUMBER,
        WriteOutcome.TYPE_MISMATCH, WriteOutcome.ABORTED, WriteOutcome.OVERFLOW, WriteOutcome.LEASE_NOT_FOUND};
    private static final LeaseOutcome[] LEASE_OUTCOMES = {null, LeaseOutcome.GRANTED, LeaseOutcome.REVOKED,
        LeaseOutcome.EXPIRED, LeaseOutcome.NOT_FOUND, LeaseOutcome.OUT_OF_SCOPE};
    private static final IdempotentResult.Status[] STATUSES = {null, IdempotentResult.Status.APPLIED,
        IdempotentResult.Status.REPLAYED, IdempotentResult.Status.MISMATCH, IdempotentResult.Status.IN_FLIGHT};

    /** The most bytes a write's encoding takes when its string value is empty (as a record keeps it). */
    private static final int MAX_WRITE_WITHOUT_STRINGS = 1 + 8 + 1 + (1 + 8) + 8 + 8 + 8;

    /**
     * The most bytes the result of {@code command} takes once its string values are emptied: what an idempotency
     * record of it keeps.
     */
    static int maxResultBytesWithoutStrings(Command command) {
        if (command instanceof Command.Batch b) {
            return 2 + 1 + 8 + 4 + 4 + b.operations().size() * MAX_WRITE_WITHOUT_STRINGS;
        }
        if (command instanceof Command.GrantLease || command instanceof Command.RevokeLease) {
            return 2 + 1 + 8 + 8 + 8 + 4;
        }
        return 2 + MAX_WRITE_WITHOUT_STRINGS;
    }

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
        out.command(command);
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
            Command c = in.command(true);
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
        out.result(result);
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
            CommandResult r = in.result(true);
            in.end();
            return r;
        } catch (BufferUnderflowException e) {
            throw in.malformed("the bytes end inside a field");
        }
    }

    private static byte outcomeCode(WriteOutcome outcome) {
        return (byte) Arrays.asList(OUTCOMES).indexOf(outcome);
    }

    private static byte code(Object[] table, Object value) {
        return (byte) Arrays.asList(table).indexOf(value);
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
            Entry e = w.entry();
            u8(outcomeCode(w.outcome())).i64(w.revision()).u8(e == null ? 0 : e.lease() == 0 ? 1 : 2);
            if (e != null) {
                value(e.value()).i64(e.revision()).i64(e.createRevision());
                if (e.lease() != 0) {
                    i64(e.lease());
                }
            }
            return this;
        }

        Out lease(KeyLease lease) {
            if (lease instanceof KeyLease.Attach a) {
                return u8(LEASE_ATTACH).i64(a.id());
            }
            if (lease instanceof KeyLease.Grant g) {
                return u8(LEASE_GRANT).i64(g.ttlMillis());
            }
            return u8(lease instanceof KeyLease.Keep ? LEASE_KEEP : LEASE_NONE);
        }

        Out command(Command command) {
            u8(VERSION);
            if (command instanceof Command.Put c) {
                boolean plain = c.lease() instanceof KeyLease.None;
                u8(plain ? KIND_PUT : KIND_PUT_LEASED).key(c.key()).value(c.value()).precondition(c.precondition());
                return plain ? this : lease(c.lease());
            }
            if (command instanceof Command.Delete c) {
                return u8(KIND_DELETE).key(c.key()).precondition(c.precondition());
            }
            if (command instanceof Command.Increment c) {
                boolean plain = c.lease() instanceof KeyLease.Keep;
                u8(plain ? KIND_INCREMENT : KIND_INCREMENT_LEASED).key(c.key()).value(c.step())
                        .precondition(c.precondition());
                return plain ? this : lease(c.lease());
            }
            if (command instanceof Command.GrantLease c) {
                return u8(KIND_GRANT_LEASE).i64(c.ttlMillis());
            }
            if (command instanceof Command.RevokeLease c) {
                u8(KIND_REVOKE_LEASE).i64(c.lease()).u8(c.expired() ? 1 : 0).u8(c.keyPrefix() == null ? 0 : 1);
                return c.keyPrefix() == null ? this : utf8(c.keyPrefix());
            }
            if (command instanceof Command.Idempotent c) {
                u8(KIND_IDEMPOTENT).utf8(c.scope()).utf8(c.key()).i64(c.fingerprint().high())
                        .i64(c.fingerprint().low()).i64(c.timeMillis());
                return command(c.command());
            }
            List<BatchOperation> ops = ((Command.Batch) command).operations();
            u8(KIND_BATCH).u32(ops.size());
            for (BatchOperation op : ops) {
                boolean leased = !op.isDelete() && !(op.lease() instanceof KeyLease.None);
                u8(op.isDelete() ? OP_DELETE : leased ? OP_PUT_LEASED : OP_PUT).key(op.key());
                if (!op.isDelete()) {
                    value(op.value());
                }
                precondition(op.precondition());
                if (leased) {
                    lease(op.lease());
                }
            }
            return this;
        }

        Out result(CommandResult result) {
            u8(VERSION);
            if (result instanceof WriteResult w) {
                return u8(RESULT_WRITE).write(w);
            }
            if (result instanceof LeaseResult l) {
                return u8(RESULT_LEASE).u8(code(LEASE_OUTCOMES, l.outcome())).i64(l.lease()).i64(l.ttlMillis())
                        .i64(l.revision()).u32(l.keys());
            }
            if (result instanceof IdempotentResult r) {
                u8(RESULT_IDEMPOTENT).u8(code(STATUSES, r.status())).u8(r.result() == null ? 0 : 1);
                return r.result() == null ? this : result(r.result());
            }
            BatchResult b = (BatchResult) result;
            u8(RESULT_BATCH).u8(b.applied() ? 1 : 0).i64(b.revision()).i32(b.failedIndex()).u32(b.results().size());
            for (WriteResult w : b.results()) {
                write(w);
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
                } else if (op == OP_PUT_LEASED) {
                    ops.add(BatchOperation.set(key(), value(), precondition(0), lease(KeyLease.NONE)));
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
            byte has = u8();
            if (has < 0 || has > 2) {
                throw malformed("has-entry must be 0, 1 or 2, not " + has);
            }
            Entry entry = null;
            if (has > 0) {
                Value v = value();
                long rev = i64();
                long created = i64();
                entry = has == 1 ? new Entry(v, rev, created) : Entry.of(v, rev, created, leaseId());
            }
            return new WriteResult(OUTCOMES[code], entry, revision);
        }

        long leaseId() {
            long id = i64();
            if (id <= 0) {
                throw malformed("a lease id must be positive, not " + id);
            }
            return id;
        }

        /** A lease of a command of {@code kind}, which must not be the one its plain kind implies. */
        KeyLease lease(KeyLease implied) {
            byte tag = u8();
            KeyLease lease = switch (tag) {
                case LEASE_NONE -> KeyLease.NONE;
                case LEASE_KEEP -> KeyLease.KEEP;
                case LEASE_ATTACH -> KeyLease.of(leaseId());
                case LEASE_GRANT -> KeyLease.grant(i64());
                default -> throw malformed("unknown lease tag " + tag);
            };
            if (lease.equals(implied)) {
                throw malformed("a leased kind with the lease its plain kind implies");
            }
            return lease;
        }

        <T> T tag(T[] table, String what) {
            int code = u8() & 0xFF;
            if (code == 0 || code >= table.length) {
                throw malformed("unknown " + what + " " + code);
            }
            return table[code];
        }

        Command command(boolean nested) {
            version();
            byte kind = u8();
            return switch (kind) {
                case KIND_PUT -> new Command.Put(key(), value(), precondition(0));
                case KIND_DELETE -> new Command.Delete(key(), precondition(0));
                case KIND_INCREMENT -> new Command.Increment(key(), value(), precondition(0));
                case KIND_BATCH -> new Command.Batch(operations());
                case KIND_GRANT_LEASE -> new Command.GrantLease(i64());
                case KIND_REVOKE_LEASE -> new Command.RevokeLease(leaseId(), bool(), bool() ? utf8() : null);
                case KIND_PUT_LEASED -> new Command.Put(key(), value(), precondition(0), lease(KeyLease.NONE));
                case KIND_INCREMENT_LEASED -> new Command.Increment(key(), value(), precondition(0),
                        lease(KeyLease.KEEP));
                case KIND_IDEMPOTENT -> {
                    if (!nested) {
                        throw malformed("an idempotent command does not nest");
                    }
                    String scope = utf8();
                    String key = utf8();
                    Command.Fingerprint fp = new Command.Fingerprint(i64(), i64());
                    long time = i64();
                    yield new Command.Idempotent(scope, key, fp, time, command(false));
                }
                default -> throw malformed("unknown command kind " + kind);
            };
        }

        CommandResult result(boolean nested) {
            version();
            byte kind = u8();
            return switch (kind) {
                case RESULT_WRITE -> write();
                case RESULT_BATCH -> {
                    boolean applied = bool();
                    long revision = i64();
                    int failedIndex = i32();
                    int count = count(1 + 8 + 1);
                    List<WriteResult> results = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        results.add(write());
                    }
                    yield new BatchResult(applied, revision, results, failedIndex);
                }
                case RESULT_LEASE -> new LeaseResult(tag(LEASE_OUTCOMES, "lease outcome"), i64(), i64(), i64(),
                        i32());
                case RESULT_IDEMPOTENT -> {
                    if (!nested) {
                        throw malformed("an idempotent result does not nest");
                    }
                    IdempotentResult.Status status = tag(STATUSES, "status");
                    yield new IdempotentResult(status, bool() ? result(false) : null);
                }
                default -> throw malformed("unknown result kind " + kind);
            };
        }
    }
}
