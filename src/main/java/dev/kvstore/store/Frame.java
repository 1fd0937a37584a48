package dev.kvstore.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.zip.CRC32;

/**
 * The one place that knows the on-disk frames, as docs/format.md specifies them (with the forced mark, the data
 * directory's files and the recovery rules). All integers are little-endian. Two layouts share the first 16 bytes and
 * are told apart by the version byte; the store reads both and writes version 2.
 *
 * <p><b>Version 1</b>, the seed format, carries no revision:
 * <pre>
 * offset        size       field
 * 0             4          total_len  u32: bytes after this field = 16 + key_len + value_len
 * 4             1          magic      configured per store (default 0xAA)
 * 5             1          version    0x01
 * 6             1          op         0x01 SET, 0x02 DELETE
 * 7             1          encoding   0x00 UTF-8, 0x01 i64 LE, 0x02 f64 LE (IEEE-754); DELETE carries 0x00
 * 8             4          key_len    u32
 * 12            4          value_len  u32, 0 for DELETE
 * 16            key_len    key        UTF-8
 * 16+k          value_len  value
 * 16+k+v        4          crc32      CRC-32 (IEEE, as java.util.zip.CRC32) over bytes 4 .. 16+k+v
 * </pre>
 *
 * <p><b>Version 2</b> adds two revisions after the same header, and two ops:
 * <pre>
 * 0             4          total_len        u32 = 32 + key_len + value_len
 * 4             1          magic
 * 5             1          version          0x02
 * 6             1          op               0x01 SET, 0x02 DELETE, 0x03 BATCH, 0x04 REVISION, 0x05 HISTORY
 * 7             1          encoding         as version 1, and 0x03 UTF-8 compressed (below); 0x00 for every op but SET
 * 8             4          key_len          u32; 0 for BATCH, REVISION and HISTORY
 * 12            4          value_len        u32; 0 for DELETE, REVISION and HISTORY
 * 16            8          revision         u64 &gt; 0: the write's revision (HISTORY: may be 0)
 * 24            8          create_revision  u64: for SET the key's creation revision, else 0
 * 32            key_len    key
 * 32+k          value_len  value
 * 32+k+v        4          crc32            over bytes 4 .. 32+k+v
 * </pre>
 * A BATCH frame's value is its operations back to back, each of them:
 * <pre>
 * 0             1          op               0x01 SET, 0x02 DELETE
 * 1             1          encoding         as for a frame
 * 2             4          key_len          u32
 * 6             4          value_len        u32
 * 10            8          create_revision  u64, as for a SET frame; 0 for DELETE
 * 18            key_len    key
 * 18+k          value_len  value
 * </pre>
 * Their revision is the batch's. The batch is one frame with one CRC, so a crash keeps all of it or none. Its
 * operations are deliberately not frames of their own: a whole frame with a good CRC inside a torn batch would pass
 * for data written after the tear, and recovery would take the tear for damage.
 * A SET (or a batch's SET) of encoding 0x03 holds a string compressed, as {@link Compression} lays it out: u32
 * {@code plain_len}, then an LZ4 block of the UTF-8 bytes. The writer uses it for strings of at least
 * {@code kv.compression.min-size} bytes that it makes smaller; every other value, and every frame written before, keeps
 * the plain encodings, and a reader of version 1 never meets it.
 *
 * <p>A BATCH frame is also the container of everything written together with leases and idempotency records, as
 * more operations with the same 18-byte header ({@code encoding} 0x00 and {@code key_len} 0 unless said otherwise):
 * <pre>
 * op    name           create_revision   key                value
 * 0x06  RECORD         0                 Idempotency-Key    scope_len u16, scope (UTF-8), fingerprint (16 bytes),
 *                                        (1-255 bytes)      time i64 (ms since the epoch, read before the command
 *                                                           was queued), result (the CommandCodec form of the
 *                                                           command's result, string values empty)
 * 0x07  LEASE_GRANT    the lease's id    -                  ttl_ms u64 &gt; 0
 *                      (the revision
 *                      that granted it)
 * 0x08  LEASE_REVOKE   0                 -                  lease u64, cause u8 (1 revoked, 2 expired): ends the
 *                                                           lease and deletes every key attached to it
 * 0x09  SET_LEASED     as SET            as SET             lease u64, then the value as SET (a string of
 *                                                           encoding 0x03 compressed as for SET): a SET that
 *                                                           attaches the key to the lease (value_len counts both)
 * 0x0A  RECORD_FLOOR   0                 -                  floor u64, horizon i64: records up to revision floor
 *                                                           were dropped, and the latest record time seen
 * </pre>
 * The store writes: a write with a lease or with an idempotency record as a BATCH frame of its operations (a SET
 * becomes SET_LEASED, and a RECORD follows), so the record and the write it answers are one frame and one revision;
 * a refused write sent with an idempotency key as a BATCH of its RECORD alone; a grant as LEASE_GRANT (with the
 * SET_LEASED of a PUT that granted its own lease); a revoke or an expiry as LEASE_REVOKE, which names no key: replay
 * deletes the keys attached to the lease at that point of the log, as the write did. Compaction and snapshots write
 * each lease as a LEASE_GRANT frame of its own revision, each leased key as a SET_LEASED, and the idempotency
 * records as one RECORD_FLOOR and a RECORD frame each, under the record's revision. Frame ops 0x06 to 0x0F are
 * reserved for these; no frame has them as its own op.
 * A REVISION frame says that the revision counter had reached {@code revision}: compaction starts its file with one,
 * so that the counter never goes back when the key that held the highest revision was deleted.
 * A HISTORY frame says that the frames before it replay to exactly the state at {@code revision}, and that every
 * frame after it is a change made after that revision, in log order: replay derives the change feed's events (each
 * change with the entry before it) from there on. Compaction and snapshots write one after the state they copy (see
 * {@link Compactor}); a log without one that starts with a REVISION frame holds no such history.
 *
 * <p>Reading a frame is envelope first, so that nothing is allocated from an unchecked length and no field is
 * believed before the CRC vouches for it: {@link #checkLength} bounds {@code total_len} by the limits and the bytes
 * left in the file, {@link #checkEnvelope} checks the CRC over the bytes {@code total_len} covers (its position
 * follows from {@code total_len} alone), then {@link #checkLayout} checks what the fields say, and {@link #decode}
 * builds the record. A sound envelope whose layout does not fit is damage or another format, never a torn write.
 */
final class Frame {

    static final int TOTAL_LEN_OFFSET = 0;
    static final int MAGIC_OFFSET = 4;
    static final int VERSION_OFFSET = 5;
    static final int OP_OFFSET = 6;
    static final int ENCODING_OFFSET = 7;
    static final int KEY_LEN_OFFSET = 8;
    static final int VALUE_LEN_OFFSET = 12;
    /** Where the key starts in a version-1 frame. */
    static final int KEY_OFFSET = 16;
    static final int REVISION_OFFSET = 16;
    static final int CREATE_REVISION_OFFSET = 24;
    /** Where the key starts in a version-2 frame. */
    static final int KEY_OFFSET_V2 = 32;

    static final int LENGTH_FIELD_BYTES = 4;
    static final int CRC_BYTES = 4;
    /** Bytes of a version-1 frame besides key and value: header and CRC. */
    static final int OVERHEAD = KEY_OFFSET + CRC_BYTES;
    /** Bytes of a version-2 frame besides key and value. */
    static final int OVERHEAD_V2 = KEY_OFFSET_V2 + CRC_BYTES;
    /** {@code total_len} of a version-1 frame with an empty key and value: the smallest any frame can have. */
    static final int FIXED_TOTAL_LEN = OVERHEAD - LENGTH_FIELD_BYTES;
    static final int FIXED_TOTAL_LEN_V2 = OVERHEAD_V2 - LENGTH_FIELD_BYTES;

    static final int BATCH_OP_OP_OFFSET = 0;
    static final int BATCH_OP_ENCODING_OFFSET = 1;
    static final int BATCH_OP_KEY_LEN_OFFSET = 2;
    static final int BATCH_OP_VALUE_LEN_OFFSET = 6;
    static final int BATCH_OP_CREATE_REVISION_OFFSET = 10;
    /** Bytes of an operation of a batch besides its key and value. */
    static final int BATCH_OP_HEADER = 18;

    static final byte VERSION_SEED = 0x01;
    static final byte VERSION_REVISIONS = 0x02;

    static final byte OP_SET = 0x01;
    static final byte OP_DELETE = 0x02;
    static final byte OP_BATCH = 0x03;
    static final byte OP_REVISION = 0x04;
    static final byte OP_HISTORY = 0x05;
    /** Operations of a BATCH frame only (see the class comment). */
    static final byte OP_RECORD = 0x06;
    static final byte OP_LEASE_GRANT = 0x07;
    static final byte OP_LEASE_REVOKE = 0x08;
    static final byte OP_SET_LEASED = 0x09;
    static final byte OP_RECORD_FLOOR = 0x0A;
    static final byte CAUSE_REVOKED = 1;
    static final byte CAUSE_EXPIRED = 2;
    /** Longest idempotency key, in bytes (visible ASCII). */
    static final int MAX_RECORD_KEY_BYTES = 255;
    /** A RECORD's value before its result: scope length, fingerprint and time, with an empty scope. */
    static final int RECORD_FIXED_BYTES = 2 + 16 + 8;
    /**
     * Room a frame may take beyond the key and value limits (or the batch limit): the operation headers and lease
     * ids of a write with a lease, a grant, and an idempotency record (whose result must fit; {@link EntryLimits}
     * refuses a command whose record might not).
     */
    static final int EXTRA_BYTES = 64 * 1024;
    static final byte ENCODING_UTF8 = 0x00;
    static final byte ENCODING_I64 = 0x01;
    static final byte ENCODING_F64 = 0x02;
    /** Version 2 only: a UTF-8 string stored compressed ({@link Compression}: u32 plain_len, then an LZ4 block). */
    static final byte ENCODING_UTF8_LZ4 = 0x03;
    static final int NUMBER_BYTES = 8;

    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_LE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private Frame() {
    }

    // ---- version 1, the seed format: read, and written only by tests and tools that make seed logs ----

    /** A version-1 SET frame of {@code value} under the UTF-8 bytes {@code key}. */
    static byte[] encodeSet(LogFormat format, byte[] key, Value value) {
        return encode(format, OP_SET, value.type().encoding(), key, valueBytes(value));
    }

    static byte[] encodeDelete(LogFormat format, byte[] key) {
        return encode(format, OP_DELETE, ENCODING_UTF8, key, new byte[0]);
    }

    /** A version-1 frame. */
    static byte[] encode(LogFormat format, byte op, byte encoding, byte[] key, byte[] value) {
        return encode(format.magic(), VERSION_SEED, op, encoding, key, value);
    }

    /** A frame of the seed layout, stamped, with any version byte (tests make frames of unknown versions). */
    private static byte[] encode(byte magic, byte version, byte op, byte encoding, byte[] key, byte[] value) {
        byte[] frame = new byte[OVERHEAD + key.length + value.length];
        writeHeader(frame, magic, version, op, encoding, key.length, value.length);
        System.arraycopy(key, 0, frame, KEY_OFFSET, key.length);
        System.arraycopy(value, 0, frame, KEY_OFFSET + key.length, value.length);
        int crcOffset = KEY_OFFSET + key.length + value.length;
        INT_LE.set(frame, crcOffset, checksum(frame, 0, crcOffset));
        return frame;
    }

    // ---- version 2: what the store writes ----

    /** A version-2 frame with its revisions and CRC still to be {@link #stamp}ed. */
    static byte[] encodeV2(byte magic, byte op, byte encoding, byte[] key, byte[] value) {
        byte[] frame = new byte[OVERHEAD_V2 + key.length + value.length];
        writeHeader(frame, magic, VERSION_REVISIONS, op, encoding, key.length, value.length);
        System.arraycopy(key, 0, frame, KEY_OFFSET_V2, key.length);
        System.arraycopy(value, 0, frame, KEY_OFFSET_V2 + key.length, value.length);
        return frame;
    }

    /** A version-2 SET frame of a value as it is {@link #stored}, stamped. */
    static byte[] encodeSetV2(byte magic, byte[] key, Stored value, long revision, long createRevision) {
        byte[] frame = encodeV2(magic, OP_SET, value.encoding(), key, value.bytes());
        stamp(frame, 0, revision, createRevision);
        return frame;
    }

    /** A version-2 SET frame of the plain value, stamped. */
    static byte[] encodeSetV2(byte magic, byte[] key, Value value, long revision, long createRevision) {
        byte[] frame = encodeV2(magic, OP_SET, value.type().encoding(), key, valueBytes(value));
        stamp(frame, 0, revision, createRevision);
        return frame;
    }

    /**
     * A version-2 SET frame, stamped, of a value as the index keeps it: {@code text} as its frame stored it, or a
     * number's {@code bits}. Compaction and snapshots write the live entries this way, with no {@code String}.
     */
    static byte[] encodeStoredSetV2(byte magic, byte[] keys, int keyAt, int keyLen, byte encoding, long bits,
                                    byte[] text, long revision, long createRevision) {
        int valueLen = text != null ? text.length : NUMBER_BYTES;
        byte[] frame = new byte[OVERHEAD_V2 + keyLen + valueLen];
        writeHeader(frame, magic, VERSION_REVISIONS, OP_SET, encoding, keyLen, valueLen);
        System.arraycopy(keys, keyAt, frame, KEY_OFFSET_V2, keyLen);
        if (text != null) {
            System.arraycopy(text, 0, frame, KEY_OFFSET_V2 + keyLen, valueLen);
        } else {
            LONG_LE.set(frame, KEY_OFFSET_V2 + keyLen, bits);
        }
        stamp(frame, 0, revision, createRevision);
        return frame;
    }

    /**
     * The frame compaction and snapshots write for a live entry as the index keeps it ({@link #encodeStoredSetV2}):
     * a SET, or, for a key attached to a lease, a BATCH of one SET_LEASED.
     */
    static byte[] encodeStoredEntry(byte magic, byte[] keys, int keyAt, int keyLen, byte encoding, long bits,
                                    byte[] text, long revision, long createRevision, long lease) {
        if (lease == 0) {
            return encodeStoredSetV2(magic, keys, keyAt, keyLen, encoding, bits, text, revision, createRevision);
        }
        byte[] key = java.util.Arrays.copyOfRange(keys, keyAt, keyAt + keyLen);
        Stored value = new Stored(encoding, text != null ? text : longBytes(bits));
        return encodeBatch(magic, java.util.List.of(encodeSetOp(key, value, createRevision, lease)), revision);
    }

    /** A REVISION frame: the counter had reached {@code revision}. */
    static byte[] encodeRevision(byte magic, long revision) {
        byte[] frame = encodeV2(magic, OP_REVISION, ENCODING_UTF8, new byte[0], new byte[0]);
        stamp(frame, 0, revision, 0);
        return frame;
    }

    /** A HISTORY frame: the frames before it replay to exactly the state at {@code floor}. */
    static byte[] encodeHistory(byte magic, long floor) {
        byte[] frame = encodeV2(magic, OP_HISTORY, ENCODING_UTF8, new byte[0], new byte[0]);
        stamp(frame, 0, floor, 0);
        return frame;
    }

    /** A version-2 DELETE frame, stamped. */
    static byte[] encodeDeleteV2(byte magic, byte[] key, long revision) {
        byte[] frame = encodeV2(magic, OP_DELETE, ENCODING_UTF8, key, new byte[0]);
        stamp(frame, 0, revision, 0);
        return frame;
    }

    /** One operation of a batch ({@code createRevision} 0 for a DELETE). */
    static byte[] encodeBatchOp(byte op, byte encoding, byte[] key, byte[] value, long createRevision) {
        byte[] b = new byte[BATCH_OP_HEADER + key.length + value.length];
        b[BATCH_OP_OP_OFFSET] = op;
        b[BATCH_OP_ENCODING_OFFSET] = encoding;
        INT_LE.set(b, BATCH_OP_KEY_LEN_OFFSET, key.length);
        INT_LE.set(b, BATCH_OP_VALUE_LEN_OFFSET, value.length);
        LONG_LE.set(b, BATCH_OP_CREATE_REVISION_OFFSET, createRevision);
        System.arraycopy(key, 0, b, BATCH_OP_HEADER, key.length);
        System.arraycopy(value, 0, b, BATCH_OP_HEADER + key.length, value.length);
        return b;
    }

    /** A BATCH frame of {@code revision} around the operations {@code ops} ({@link #encodeBatchOp}), stamped. */
    static byte[] encodeBatch(byte magic, java.util.List<byte[]> ops, long revision) {
        int valueLen = 0;
        for (byte[] op : ops) {
            valueLen += op.length;
        }
        byte[] frame = new byte[OVERHEAD_V2 + valueLen];
        writeHeader(frame, magic, VERSION_REVISIONS, OP_BATCH, ENCODING_UTF8, 0, valueLen);
        int at = KEY_OFFSET_V2;
        for (byte[] op : ops) {
            System.arraycopy(op, 0, frame, at, op.length);
            at += op.length;
        }
        stamp(frame, 0, revision, 0);
        return frame;
    }

    /** A BATCH operation that sets {@code key} to the plain {@code value}, attached to {@code lease} if not 0. */
    static byte[] encodeSetOp(byte[] key, Value value, long createRevision, long lease) {
        return encodeSetOp(key, stored(value, Integer.MAX_VALUE), createRevision, lease);
    }

    /** A BATCH operation that sets {@code key} to a value as it is {@link #stored}, attached to {@code lease} if not 0. */
    static byte[] encodeSetOp(byte[] key, Stored value, long createRevision, long lease) {
        byte[] v = value.bytes();
        if (lease == 0) {
            return encodeBatchOp(OP_SET, value.encoding(), key, v, createRevision);
        }
        byte[] leased = new byte[NUMBER_BYTES + v.length];
        LONG_LE.set(leased, 0, lease);
        System.arraycopy(v, 0, leased, NUMBER_BYTES, v.length);
        return encodeBatchOp(OP_SET_LEASED, value.encoding(), key, leased, createRevision);
    }

    /** The operation of a BATCH frame that does what the version-2 SET or DELETE frame {@code frame} does. */
    static byte[] asBatchOp(byte[] frame) {
        int keyLen = (int) INT_LE.get(frame, KEY_LEN_OFFSET);
        int valueLen = (int) INT_LE.get(frame, VALUE_LEN_OFFSET);
        return encodeBatchOp(frame[OP_OFFSET], frame[ENCODING_OFFSET],
                java.util.Arrays.copyOfRange(frame, KEY_OFFSET_V2, KEY_OFFSET_V2 + keyLen),
                java.util.Arrays.copyOfRange(frame, KEY_OFFSET_V2 + keyLen, KEY_OFFSET_V2 + keyLen + valueLen),
                createRevision(frame, 0));
    }

    /** A LEASE_GRANT operation. */
    static byte[] encodeGrantOp(long lease, long ttlMillis) {
        return encodeBatchOp(OP_LEASE_GRANT, ENCODING_UTF8, new byte[0], longBytes(ttlMillis), lease);
    }

    /** A LEASE_REVOKE operation. */
    static byte[] encodeRevokeOp(long lease, boolean expired) {
        byte[] v = new byte[NUMBER_BYTES + 1];
        LONG_LE.set(v, 0, lease);
        v[NUMBER_BYTES] = expired ? CAUSE_EXPIRED : CAUSE_REVOKED;
        return encodeBatchOp(OP_LEASE_REVOKE, ENCODING_UTF8, new byte[0], v, 0);
    }

    /** A RECORD operation. */
    static byte[] encodeRecordOp(IdempotencyRecord r) {
        byte[] scope = Utf8.encode(r.scope());
        byte[] result = CommandCodec.encodeResult(r.result());
        byte[] v = new byte[RECORD_FIXED_BYTES + scope.length + result.length];
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) scope.length).put(scope).putLong(r.fingerprint().high()).putLong(r.fingerprint().low())
                .putLong(r.timeMillis()).put(result);
        return encodeBatchOp(OP_RECORD, ENCODING_UTF8, Utf8.encode(r.key()), v, 0);
    }

    /** A RECORD_FLOOR operation. */
    static byte[] encodeRecordFloorOp(long floor, long horizon) {
        byte[] v = new byte[2 * NUMBER_BYTES];
        LONG_LE.set(v, 0, floor);
        LONG_LE.set(v, NUMBER_BYTES, horizon);
        return encodeBatchOp(OP_RECORD_FLOOR, ENCODING_UTF8, new byte[0], v, 0);
    }

    /** Bytes of an operation of a batch whose header starts at {@code at}. */
    private static int batchOpLength(byte[] buf, int at) {
        return BATCH_OP_HEADER + (int) INT_LE.get(buf, at + BATCH_OP_KEY_LEN_OFFSET)
                + (int) INT_LE.get(buf, at + BATCH_OP_VALUE_LEN_OFFSET);
    }

    /** The first 16 bytes, which both layouts share; {@code total_len} follows from the version's layout. */
    private static void writeHeader(byte[] frame, byte magic, byte version, byte op, byte encoding, int keyLen,
                                    int valueLen) {
        INT_LE.set(frame, TOTAL_LEN_OFFSET, fixedTotalLength(version) + keyLen + valueLen);
        frame[MAGIC_OFFSET] = magic;
        frame[VERSION_OFFSET] = version;
        frame[OP_OFFSET] = op;
        frame[ENCODING_OFFSET] = encoding;
        INT_LE.set(frame, KEY_LEN_OFFSET, keyLen);
        INT_LE.set(frame, VALUE_LEN_OFFSET, valueLen);
    }

    /** Sets the revisions of the version-2 frame at {@code start} and computes its CRC. */
    static void stamp(byte[] buf, int start, long revision, long createRevision) {
        LONG_LE.set(buf, start + REVISION_OFFSET, revision);
        LONG_LE.set(buf, start + CREATE_REVISION_OFFSET, createRevision);
        int crcOffset = (int) (LENGTH_FIELD_BYTES + totalLength(buf, start) - CRC_BYTES);
        INT_LE.set(buf, start + crcOffset, checksum(buf, start, crcOffset));
    }

    /** Offset of the first operation inside a BATCH frame that starts at {@code start}. */
    static int batchOpsStart(int start) {
        return start + KEY_OFFSET_V2;
    }

    /** The value field of a SET frame; throws {@link IllegalArgumentException} for a string with no UTF-8 form. */
    static byte[] valueBytes(Value value) {
        if (value instanceof Value.Text t) {
            return Utf8.encode(t.value());
        }
        return longBytes(value instanceof Value.Int i ? i.value() : Double.doubleToRawLongBits(((Value.Float) value).value()));
    }

    /** CRC-32 over magic .. last value byte of the frame at {@code start} whose CRC sits at {@code start + crcOffset}. */
    static int checksum(byte[] buf, int start, int crcOffset) {
        CRC32 crc = new CRC32();
        crc.update(buf, start + MAGIC_OFFSET, crcOffset - MAGIC_OFFSET);
        return (int) crc.getValue();
    }

    /** The CRC field stored at {@code crcStart}. */
    static int storedChecksum(byte[] buf, int crcStart) {
        return (int) INT_LE.get(buf, crcStart);
    }

    /** {@code total_len} as an unsigned number. */
    static long totalLength(byte[] buf, int start) {
        return Integer.toUnsignedLong((int) INT_LE.get(buf, start + TOTAL_LEN_OFFSET));
    }

    /**
     * Checks {@code total_len} before any byte of the body is read.
     *
     * @param available bytes in the file from the frame's start to its end
     * @return {@code null} when a frame of this length can be read, else what is wrong
     */
    static FrameDefect checkLength(long totalLen, long available, LogFormat format) {
        if (totalLen < FIXED_TOTAL_LEN) {
            return FrameDefect.LENGTH_TOO_SMALL;
        }
        if (totalLen > format.maxTotalLength()) {
            return FrameDefect.LENGTH_TOO_LARGE;
        }
        if (LENGTH_FIELD_BYTES + totalLen > available) {
            return FrameDefect.SHORT_BODY;
        }
        return null;
    }

    /** Where the key starts in a frame of this version byte; unknown versions are read as the seed layout. */
    private static int keyOffset(byte version) {
        return version == VERSION_REVISIONS ? KEY_OFFSET_V2 : KEY_OFFSET;
    }

    /** {@code total_len} of a frame of this version byte with an empty key and value. */
    private static int fixedTotalLength(byte version) {
        return version == VERSION_REVISIONS ? FIXED_TOTAL_LEN_V2 : FIXED_TOTAL_LEN;
    }

    /**
     * Verifies the whole frame at {@code start}, whose {@code total_len} already passed {@link #checkLength}: first
     * its envelope ({@link #checkEnvelope}), then, only if that is sound, its layout ({@link #checkLayout}).
     *
     * @return {@code null} when the frame is sound, else what is wrong
     */
    static FrameDefect checkBody(byte[] buf, int start, LogFormat format) {
        FrameDefect envelope = checkEnvelope(buf, start);
        return envelope != null ? envelope : checkLayout(buf, start, format);
    }

    /**
     * Checks the envelope of the frame at {@code start}: the CRC over the {@code total_len} bytes after the length
     * field, whose last four hold it. Nothing but {@code total_len} is read to find them, so a frame whose other
     * fields are wrong but whose CRC checks out is recognised as one some writer wrote whole.
     *
     * @return {@code null} when the envelope is sound, else {@link FrameDefect#BAD_CRC}
     */
    static FrameDefect checkEnvelope(byte[] buf, int start) {
        int crcOffset = crcOffset(totalLength(buf, start));
        return storedChecksum(buf, start + crcOffset) == checksum(buf, start, crcOffset) ? null : FrameDefect.BAD_CRC;
    }

    /** Where the CRC of a frame with this {@code total_len} sits, from the frame's start. */
    static int crcOffset(long totalLen) {
        return (int) (LENGTH_FIELD_BYTES + totalLen - CRC_BYTES);
    }

    /**
     * Whether a header's own numbers agree under one of the two layouts: {@code total_len} is 16 or 32 plus
     * {@code key_len} plus {@code value_len}. Reads no version byte, so a search can use it to skip offsets where no
     * frame of any version can start before it computes a CRC.
     */
    static boolean headerConsistent(long totalLen, long keyLen, long valueLen) {
        long lengths = keyLen + valueLen;
        return totalLen == FIXED_TOTAL_LEN + lengths || totalLen == FIXED_TOTAL_LEN_V2 + lengths;
    }

    /** {@code key_len} of the frame at {@code start}, unsigned. */
    static long keyLength(byte[] buf, int start) {
        return Integer.toUnsignedLong((int) INT_LE.get(buf, start + KEY_LEN_OFFSET));
    }

    /** {@code value_len} of the frame at {@code start}, unsigned. */
    static long valueLength(byte[] buf, int start) {
        return Integer.toUnsignedLong((int) INT_LE.get(buf, start + VALUE_LEN_OFFSET));
    }

    /**
     * Checks what the fields of a frame with a sound envelope say: magic and version first (another store's or
     * release's frame), then that {@code total_len} fits the layout the version names, then the limits, the op,
     * the encoding and the revisions. Every defect found here is {@link FrameDefect#isChecksummed checksummed}.
     */
    static FrameDefect checkLayout(byte[] buf, int start, LogFormat format) {
        if (buf[start + MAGIC_OFFSET] != format.magic()) {
            return FrameDefect.WRONG_MAGIC;
        }
        byte version = buf[start + VERSION_OFFSET];
        if (version != VERSION_SEED && version != VERSION_REVISIONS) {
            return FrameDefect.WRONG_VERSION;
        }
        long keyLen = keyLength(buf, start);
        long valueLen = valueLength(buf, start);
        if (fixedTotalLength(version) + keyLen + valueLen != totalLength(buf, start)) {
            return FrameDefect.LENGTH_MISMATCH;
        }
        byte op = buf[start + OP_OFFSET];
        if (version == VERSION_REVISIONS && (op == OP_BATCH || op == OP_REVISION || op == OP_HISTORY)) {
            return checkBatchOrRevision(buf, start, op, keyLen, valueLen, format);
        }
        if (keyLen > format.maxKeyBytes() || valueLen > format.maxValueBytes()) {
            return FrameDefect.OVER_LIMIT;
        }
        if (version == VERSION_REVISIONS && !revisionsFit(buf, start, op)) {
            return FrameDefect.BAD_REVISION;
        }
        return checkOpAndEncoding(op, buf[start + ENCODING_OFFSET], valueLen, version == VERSION_REVISIONS, buf,
                start + keyOffset(version) + (int) keyLen, format);
    }

    /**
     * {@link #checkLayout} for a frame with a sound envelope that is too large to load: only its 16-byte header at
     * {@code start} is read. Another magic or version is foreign; otherwise it was written under larger limits.
     */
    static FrameDefect checkOversizedLayout(byte[] buf, int start, LogFormat format) {
        if (buf[start + MAGIC_OFFSET] != format.magic()) {
            return FrameDefect.WRONG_MAGIC;
        }
        byte version = buf[start + VERSION_OFFSET];
        if (version != VERSION_SEED && version != VERSION_REVISIONS) {
            return FrameDefect.WRONG_VERSION;
        }
        return fixedTotalLength(version) + keyLength(buf, start) + valueLength(buf, start) != totalLength(buf, start)
                ? FrameDefect.LENGTH_MISMATCH : FrameDefect.OVER_LIMIT;
    }

    private static boolean revisionsFit(byte[] buf, int start, byte op) {
        long revision = revision(buf, start);
        long created = createRevision(buf, start);
        return revision > 0 && (op == OP_SET ? created > 0 && created <= revision : created == 0);
    }

    /**
     * A BATCH frame's value is whole, valid operations, within the limits, created no later than the batch. REVISION
     * and HISTORY frames are empty; a HISTORY frame's revision may be 0 (the state before any write).
     */
    private static FrameDefect checkBatchOrRevision(byte[] buf, int start, byte op, long keyLen, long valueLen,
                                                    LogFormat format) {
        if (keyLen != 0 || buf[start + ENCODING_OFFSET] != ENCODING_UTF8 || createRevision(buf, start) != 0) {
            return FrameDefect.BAD_VALUE;
        }
        long revision = revision(buf, start);
        if (revision < 0 || (revision == 0 && op != OP_HISTORY)) {
            return FrameDefect.BAD_REVISION;
        }
        if (op == OP_REVISION || op == OP_HISTORY) {
            return valueLen == 0 ? null : FrameDefect.BAD_VALUE;
        }
        if (valueLen > format.maxItemsBytes()) {
            return FrameDefect.OVER_LIMIT;
        }
        int end = (int) (batchOpsStart(start) + valueLen);
        for (int at = batchOpsStart(start); at < end; ) {
            if (end - at < BATCH_OP_HEADER) {
                return FrameDefect.BAD_BATCH;
            }
            long keyLen2 = Integer.toUnsignedLong((int) INT_LE.get(buf, at + BATCH_OP_KEY_LEN_OFFSET));
            long valueLen2 = Integer.toUnsignedLong((int) INT_LE.get(buf, at + BATCH_OP_VALUE_LEN_OFFSET));
            if (BATCH_OP_HEADER + keyLen2 + valueLen2 > end - at || !batchOpFits(buf, at, keyLen2, valueLen2,
                    revision, format)) {
                return FrameDefect.BAD_BATCH;
            }
            at += (int) (BATCH_OP_HEADER + keyLen2 + valueLen2);
        }
        return null;
    }

    /** Whether the operation at {@code at}, whose lengths fit the frame, is one the store can have written. */
    private static boolean batchOpFits(byte[] buf, int at, long keyLen, long valueLen, long revision,
                                       LogFormat format) {
        byte op = buf[at + BATCH_OP_OP_OFFSET];
        byte encoding = buf[at + BATCH_OP_ENCODING_OFFSET];
        long created = (long) LONG_LE.get(buf, at + BATCH_OP_CREATE_REVISION_OFFSET);
        int value = (int) (at + BATCH_OP_HEADER + keyLen);
        return switch (op) {
            case OP_SET, OP_DELETE -> keyLen <= format.maxKeyBytes() && valueLen <= format.maxValueBytes()
                    && checkOpAndEncoding(op, encoding, valueLen, true, buf, value, format) == null
                    && (op == OP_SET ? created > 0 && created <= revision : created == 0);
            case OP_SET_LEASED -> keyLen <= format.maxKeyBytes() && valueLen >= NUMBER_BYTES
                    && valueLen - NUMBER_BYTES <= format.maxValueBytes()
                    && checkOpAndEncoding(OP_SET, encoding, valueLen - NUMBER_BYTES, true, buf,
                            value + NUMBER_BYTES, format) == null
                    && created > 0 && created <= revision && (long) LONG_LE.get(buf, value) > 0;
            case OP_LEASE_GRANT -> keyLen == 0 && encoding == ENCODING_UTF8 && valueLen == NUMBER_BYTES
                    && created > 0 && created <= revision && (long) LONG_LE.get(buf, value) > 0;
            case OP_LEASE_REVOKE -> keyLen == 0 && encoding == ENCODING_UTF8 && valueLen == NUMBER_BYTES + 1
                    && created == 0 && (long) LONG_LE.get(buf, value) > 0
                    && (buf[value + NUMBER_BYTES] == CAUSE_REVOKED || buf[value + NUMBER_BYTES] == CAUSE_EXPIRED);
            case OP_RECORD_FLOOR -> keyLen == 0 && encoding == ENCODING_UTF8 && valueLen == 2 * NUMBER_BYTES
                    && created == 0 && (long) LONG_LE.get(buf, value) >= 0
                    && (long) LONG_LE.get(buf, value) <= revision;
            case OP_RECORD -> keyLen >= 1 && keyLen <= MAX_RECORD_KEY_BYTES && encoding == ENCODING_UTF8
                    && created == 0 && recordValueFits(buf, value, valueLen);
            default -> false;
        };
    }

    /** A RECORD's value: a scope of 1 byte or more, and a result that {@link CommandCodec} reads. */
    private static boolean recordValueFits(byte[] buf, int at, long valueLen) {
        if (valueLen < RECORD_FIXED_BYTES) {
            return false;
        }
        int scopeLen = Short.toUnsignedInt((short) SHORT_LE.get(buf, at));
        long resultLen = valueLen - RECORD_FIXED_BYTES - scopeLen;
        if (scopeLen == 0 || resultLen < 0) {
            return false;
        }
        try {
            CommandCodec.decodeResult(java.util.Arrays.copyOfRange(buf, (int) (at + valueLen - resultLen),
                    (int) (at + valueLen)));
            return true;
        } catch (MalformedCommandException e) {
            return false;
        }
    }

    /**
     * The op and the encoding of its value at {@code valueAt}: a compressed string exists only in version 2, and
     * says a plain length within the value limit (the block itself is checked by {@link TextCheck}).
     */
    private static FrameDefect checkOpAndEncoding(byte op, byte encoding, long valueLen, boolean v2, byte[] buf,
                                                  int valueAt, LogFormat format) {
        if (op == OP_DELETE) {
            return encoding == ENCODING_UTF8 && valueLen == 0 ? null : FrameDefect.BAD_VALUE;
        }
        if (op != OP_SET) {
            return FrameDefect.UNKNOWN_OP;
        }
        return switch (encoding) {
            case ENCODING_UTF8 -> null;
            case ENCODING_I64, ENCODING_F64 -> valueLen == NUMBER_BYTES ? null : FrameDefect.BAD_VALUE;
            case ENCODING_UTF8_LZ4 -> !v2 ? FrameDefect.UNKNOWN_ENCODING
                    : Compression.plainLength(buf, valueAt, (int) valueLen) < 0 ? FrameDefect.BAD_VALUE
                    : Compression.plainLength(buf, valueAt, (int) valueLen) > format.maxValueBytes()
                    ? FrameDefect.OVER_LIMIT : null;
            default -> FrameDefect.UNKNOWN_ENCODING;
        };
    }

    static long revision(byte[] buf, int start) {
        return (long) LONG_LE.get(buf, start + REVISION_OFFSET);
    }

    static long createRevision(byte[] buf, int start) {
        return (long) LONG_LE.get(buf, start + CREATE_REVISION_OFFSET);
    }

    /**
     * What a sound frame says, op by op, read straight from its bytes, with no object per frame: a BATCH gives its
     * operations in order, each with the batch's revision. Replay builds the state this way, and the index applies
     * the writer's frames this way, so both read a frame through one piece of code.
     */
    interface Ops {
        /**
         * A SET of the value at {@code valueAt} (as the frame stores it, in {@code encoding}) under the UTF-8 key at
         * {@code keyAt}, attached to {@code lease} when it is not 0 (a SET_LEASED). {@code revision} and
         * {@code createRevision} are 0 in a seed-format frame.
         */
        void set(byte[] buf, int keyAt, int keyLen, byte encoding, int valueAt, int valueLen, long revision,
                 long createRevision, long lease);

        /** A DELETE of the key at {@code keyAt}; {@code revision} is 0 in a seed-format frame. */
        void delete(byte[] buf, int keyAt, int keyLen, long revision);

        /** The revision counter had reached {@code revision}: a REVISION frame. */
        void revision(long revision);

        /**
         * A HISTORY frame: the frames before it replay to exactly the state at {@code floor}; it changes no entry and
         * not the counter (the change feed's replay starts its history there).
         */
        default void history(long floor) {
        }

        /** A LEASE_GRANT of {@code lease} with {@code ttlMillis}, in a batch of {@code revision}. */
        default void grant(long lease, long ttlMillis, long revision) {
            revision(revision);
        }

        /** A LEASE_REVOKE: {@code lease} ends, and every key attached to it is deleted, under {@code revision}. */
        default void revoke(long lease, boolean expired, long revision) {
            revision(revision);
        }

        /**
         * A RECORD whose Idempotency-Key is at {@code keyAt} and whose value is at {@code valueAt}
         * ({@link #decodeRecord} reads it).
         */
        default void record(byte[] buf, int keyAt, int keyLen, int valueAt, int valueLen, long revision) {
            revision(revision);
        }

        /** A RECORD_FLOOR: records up to {@code floor} were dropped; {@code horizon} is the latest time seen. */
        default void recordFloor(long floor, long horizon, long revision) {
            revision(revision);
        }
    }

    /** Feeds what the frame at {@code start}, which passed {@link #checkBody}, says to {@code ops}. */
    static void visit(byte[] buf, int start, Ops ops) {
        byte version = buf[start + VERSION_OFFSET];
        byte op = buf[start + OP_OFFSET];
        boolean v2 = version == VERSION_REVISIONS;
        if (v2 && op == OP_REVISION) {
            ops.revision(revision(buf, start));
            return;
        }
        if (v2 && op == OP_HISTORY) {
            ops.history(revision(buf, start));
            return;
        }
        if (v2 && op == OP_BATCH) {
            visitBatch(buf, start, ops);
            return;
        }
        long revision = v2 ? revision(buf, start) : 0;
        int keyAt = start + keyOffset(version);
        int keyLen = (int) INT_LE.get(buf, start + KEY_LEN_OFFSET);
        if (op == OP_DELETE) {
            ops.delete(buf, keyAt, keyLen, revision);
        } else {
            ops.set(buf, keyAt, keyLen, buf[start + ENCODING_OFFSET], keyAt + keyLen,
                    (int) INT_LE.get(buf, start + VALUE_LEN_OFFSET), revision, v2 ? createRevision(buf, start) : 0, 0);
        }
    }

    private static void visitBatch(byte[] buf, int start, Ops ops) {
        long revision = revision(buf, start);
        int end = (int) (batchOpsStart(start) + Integer.toUnsignedLong((int) INT_LE.get(buf, start + VALUE_LEN_OFFSET)));
        for (int at = batchOpsStart(start); at < end; at += batchOpLength(buf, at)) {
            int keyAt = at + BATCH_OP_HEADER;
            int keyLen = (int) INT_LE.get(buf, at + BATCH_OP_KEY_LEN_OFFSET);
            int valueAt = keyAt + keyLen;
            int valueLen = (int) INT_LE.get(buf, at + BATCH_OP_VALUE_LEN_OFFSET);
            long created = (long) LONG_LE.get(buf, at + BATCH_OP_CREATE_REVISION_OFFSET);
            switch (buf[at + BATCH_OP_OP_OFFSET]) {
                case OP_DELETE -> ops.delete(buf, keyAt, keyLen, revision);
                case OP_SET -> ops.set(buf, keyAt, keyLen, buf[at + BATCH_OP_ENCODING_OFFSET], valueAt, valueLen,
                        revision, created, 0);
                case OP_SET_LEASED -> ops.set(buf, keyAt, keyLen, buf[at + BATCH_OP_ENCODING_OFFSET],
                        valueAt + NUMBER_BYTES, valueLen - NUMBER_BYTES, revision, created,
                        (long) LONG_LE.get(buf, valueAt));
                case OP_LEASE_GRANT -> ops.grant(created, (long) LONG_LE.get(buf, valueAt), revision);
                case OP_LEASE_REVOKE -> ops.revoke((long) LONG_LE.get(buf, valueAt),
                        buf[valueAt + NUMBER_BYTES] == CAUSE_EXPIRED, revision);
                case OP_RECORD -> ops.record(buf, keyAt, keyLen, valueAt, valueLen, revision);
                case OP_RECORD_FLOOR -> ops.recordFloor((long) LONG_LE.get(buf, valueAt),
                        (long) LONG_LE.get(buf, valueAt + NUMBER_BYTES), revision);
                default -> throw new IllegalStateException("an operation checkLayout refuses: " + buf[at]);
            }
        }
    }

    /**
     * The idempotency record of the RECORD operation whose key is at {@code keyAt} and value at {@code valueAt}, in a
     * batch of {@code revision}; {@code null} when its key or scope is not valid UTF-8.
     */
    static IdempotencyRecord decodeRecord(byte[] buf, int keyAt, int keyLen, int valueAt, int valueLen,
                                          long revision) {
        String key = Utf8.decode(buf, keyAt, keyLen);
        int scopeLen = Short.toUnsignedInt((short) SHORT_LE.get(buf, valueAt));
        String scope = Utf8.decode(buf, valueAt + 2, scopeLen);
        if (key == null || scope == null) {
            return null;
        }
        int p = valueAt + 2 + scopeLen;
        Command.Fingerprint fingerprint = new Command.Fingerprint((long) LONG_LE.get(buf, p),
                (long) LONG_LE.get(buf, p + NUMBER_BYTES));
        long time = (long) LONG_LE.get(buf, p + 2 * NUMBER_BYTES);
        int resultAt = p + 3 * NUMBER_BYTES;
        CommandResult result = CommandCodec.decodeResult(java.util.Arrays.copyOfRange(buf, resultAt,
                valueAt + valueLen));
        return new IdempotencyRecord(scope, key, fingerprint, time, revision, result,
                BATCH_OP_HEADER + keyLen + valueLen);
    }

    /**
     * The last check of a frame whose {@link #checkBody} passed: every key and string value in it is well-formed
     * UTF-8 (and so is an idempotency record's scope). Reusable, one per reading thread; it makes no {@code String}.
     */
    static final class TextCheck implements Ops {
        private FrameDefect defect;

        /**
         * {@code null} when the text of the frame at {@code start} is valid; else {@link FrameDefect#INVALID_UTF8},
         * or {@link FrameDefect#BAD_VALUE} for a compressed value that is not an LZ4 block of its plain length.
         */
        FrameDefect check(byte[] buf, int start) {
            defect = null;
            visit(buf, start, this);
            return defect;
        }

        @Override
        public void set(byte[] buf, int keyAt, int keyLen, byte encoding, int valueAt, int valueLen, long revision,
                        long createRevision, long lease) {
            if (defect != null) {
                return;
            }
            if (!Utf8.isValid(buf, keyAt, keyLen) || (encoding == ENCODING_UTF8 && !Utf8.isValid(buf, valueAt, valueLen))) {
                defect = FrameDefect.INVALID_UTF8;
            } else if (encoding == ENCODING_UTF8_LZ4) {
                byte[] plain = Compression.decompress(buf, valueAt, valueLen);
                defect = plain == null ? FrameDefect.BAD_VALUE
                        : Utf8.isValid(plain, 0, plain.length) ? null : FrameDefect.INVALID_UTF8;
            }
        }

        @Override
        public void delete(byte[] buf, int keyAt, int keyLen, long revision) {
            if (defect == null && !Utf8.isValid(buf, keyAt, keyLen)) {
                defect = FrameDefect.INVALID_UTF8;
            }
        }

        @Override
        public void record(byte[] buf, int keyAt, int keyLen, int valueAt, int valueLen, long revision) {
            int scopeLen = Short.toUnsignedInt((short) SHORT_LE.get(buf, valueAt));
            if (defect == null && (!Utf8.isValid(buf, keyAt, keyLen) || !Utf8.isValid(buf, valueAt + 2, scopeLen))) {
                defect = FrameDefect.INVALID_UTF8;
            }
        }

        @Override
        public void revision(long revision) {
        }
    }

    /**
     * Decodes a frame that passed {@link #checkBody}, into a record with {@code String}s: for the offline tool and
     * tests; replay reads frames through {@link #visit}.
     *
     * @return the record, or {@code null} when a key or string value in it is not valid UTF-8
     */
    static LogRecord decode(byte[] buf, int start) {
        Records records = new Records();
        visit(buf, start, records);
        if (records.invalid) {
            return null;
        }
        boolean batch = buf[start + VERSION_OFFSET] == VERSION_REVISIONS && buf[start + OP_OFFSET] == OP_BATCH;
        return batch ? new LogRecord.Batch(revision(buf, start), records.ops) : records.ops.get(0);
    }

    /** What {@link #decode} collects. */
    private static final class Records implements Ops {
        final java.util.List<LogRecord> ops = new java.util.ArrayList<>(1);
        boolean invalid;

        @Override
        public void set(byte[] buf, int keyAt, int keyLen, byte encoding, int valueAt, int valueLen, long revision,
                        long createRevision, long lease) {
            String key = Utf8.decode(buf, keyAt, keyLen);
            Value value = decodeValue(buf, encoding, valueAt, valueLen);
            if (key == null || value == null) {
                invalid = true;
            } else {
                ops.add(new LogRecord.Set(key, value, revision, createRevision, lease));
            }
        }

        @Override
        public void delete(byte[] buf, int keyAt, int keyLen, long revision) {
            String key = Utf8.decode(buf, keyAt, keyLen);
            if (key == null) {
                invalid = true;
            } else {
                ops.add(new LogRecord.Delete(key, revision));
            }
        }

        @Override
        public void revision(long revision) {
            ops.add(new LogRecord.Revision(revision));
        }

        @Override
        public void history(long floor) {
            ops.add(new LogRecord.History(floor));
        }

        @Override
        public void grant(long lease, long ttlMillis, long revision) {
            ops.add(new LogRecord.LeaseGrant(lease, ttlMillis, revision));
        }

        @Override
        public void revoke(long lease, boolean expired, long revision) {
            ops.add(new LogRecord.LeaseRevoke(lease, expired, revision));
        }

        @Override
        public void record(byte[] buf, int keyAt, int keyLen, int valueAt, int valueLen, long revision) {
            IdempotencyRecord r = decodeRecord(buf, keyAt, keyLen, valueAt, valueLen, revision);
            if (r == null) {
                invalid = true;
            } else {
                ops.add(new LogRecord.Record(r));
            }
        }

        @Override
        public void recordFloor(long floor, long horizon, long revision) {
            ops.add(new LogRecord.RecordFloor(floor, horizon, revision));
        }
    }

    /** The value at {@code offset}, or {@code null} for a string that is not valid UTF-8 (or not decompressible). */
    static Value decodeValue(byte[] buf, byte encoding, int offset, int length) {
        return switch (encoding) {
            case ENCODING_I64 -> Value.of((long) LONG_LE.get(buf, offset));
            case ENCODING_F64 -> Value.of(Double.longBitsToDouble((long) LONG_LE.get(buf, offset)));
            case ENCODING_UTF8_LZ4 -> {
                byte[] plain = Compression.decompress(buf, offset, length);
                String s = plain == null ? null : Utf8.decode(plain, 0, plain.length);
                yield s == null ? null : Value.of(s);
            }
            default -> {
                String s = Utf8.decode(buf, offset, length);
                yield s == null ? null : Value.of(s);
            }
        };
    }

    /**
     * The frame of a record: version 1 for a SET or DELETE without a revision, else version 2 with the record's
     * revisions as they are. For tests and tools that make records rather than logs.
     */
    static byte[] encodeRecord(LogRecord record) {
        byte magic = StoreOptions.DEFAULT_MAGIC;
        if (record instanceof LogRecord.Set r) {
            if (r.revision() == 0) {
                return encode(magic, VERSION_SEED, OP_SET, r.value().type().encoding(), Utf8.encode(r.key()),
                        valueBytes(r.value()));
            }
            return encodeSetV2(magic, Utf8.encode(r.key()), r.value(), r.revision(), r.createRevision());
        }
        if (record instanceof LogRecord.Delete r) {
            return r.revision() == 0 ? encode(magic, VERSION_SEED, OP_DELETE, ENCODING_UTF8, Utf8.encode(r.key()),
                    new byte[0]) : encodeDeleteV2(magic, Utf8.encode(r.key()), r.revision());
        }
        if (record instanceof LogRecord.Batch b) {
            java.util.List<byte[]> ops = new java.util.ArrayList<>();
            for (LogRecord op : b.ops()) {
                ops.add(op instanceof LogRecord.Set r
                        ? encodeSetOp(Utf8.encode(r.key()), stored(r.value(), Integer.MAX_VALUE), r.createRevision(),
                                r.lease())
                        : encodeBatchOp(OP_DELETE, ENCODING_UTF8, Utf8.encode(((LogRecord.Delete) op).key()),
                                new byte[0], 0));
            }
            return encodeBatch(magic, ops, b.revision());
        }
        if (record instanceof LogRecord.LeaseGrant g) {
            return encodeBatch(magic, java.util.List.of(encodeGrantOp(g.lease(), g.ttlMillis())), g.revision());
        }
        if (record instanceof LogRecord.LeaseRevoke v) {
            return encodeBatch(magic, java.util.List.of(encodeRevokeOp(v.lease(), v.expired())), v.revision());
        }
        if (record instanceof LogRecord.Record r) {
            return encodeBatch(magic, java.util.List.of(encodeRecordOp(r.record())), r.record().revision());
        }
        if (record instanceof LogRecord.RecordFloor f) {
            return encodeBatch(magic, java.util.List.of(encodeRecordFloorOp(f.floor(), f.horizon())), f.revision());
        }
        if (record instanceof LogRecord.History h) {
            return encodeHistory(magic, h.floor());
        }
        return encodeRevision(magic, ((LogRecord.Revision) record).revision());
    }

    /** The value type a SET frame of this (valid) encoding holds. */
    static ValueType typeOf(byte encoding) {
        return switch (encoding) {
            case ENCODING_I64 -> ValueType.INTEGER;
            case ENCODING_F64 -> ValueType.FLOAT;
            default -> ValueType.STRING;
        };
    }

    /** Whether a SET frame of this encoding stores its value as bytes (a string) rather than a number. */
    static boolean isText(byte encoding) {
        return encoding != ENCODING_I64 && encoding != ENCODING_F64;
    }

    /** The string stored as {@code stored} by a frame of {@code encoding}, whose text was checked when it was read. */
    static String decodeStoredText(byte[] stored, byte encoding) {
        byte[] plain = encoding == ENCODING_UTF8_LZ4 ? Compression.decompress(stored, 0, stored.length) : stored;
        String s = plain == null ? null : Utf8.decode(plain, 0, plain.length);
        if (s == null) {
            throw new IllegalStateException("a stored string is not UTF-8, though it was checked when it was read");
        }
        return s;
    }

    /** The number a SET frame of a numeric encoding stores at {@code valueAt}, as its 64 bits. */
    static long numberBits(byte[] buf, int valueAt) {
        return (long) LONG_LE.get(buf, valueAt);
    }

    /**
     * A value as a frame stores it: its encoding and its bytes. A string of at least {@code compressAt} UTF-8 bytes
     * is compressed when that makes it smaller ({@link Compression}); older frames and smaller values keep the plain
     * encodings.
     */
    record Stored(byte encoding, byte[] bytes) {
    }

    /** How {@code value} is stored by a store that compresses strings from {@code compressAt} bytes up. */
    static Stored stored(Value value, int compressAt) {
        byte[] plain = valueBytes(value);
        if (value instanceof Value.Text && plain.length >= compressAt) {
            byte[] packed = Compression.compress(plain);
            if (packed != null) {
                return new Stored(ENCODING_UTF8_LZ4, packed);
            }
        }
        return new Stored(value.type().encoding(), plain);
    }

    static byte[] longBytes(long v) {
        byte[] b = new byte[NUMBER_BYTES];
        LONG_LE.set(b, 0, v);
        return b;
    }
}
