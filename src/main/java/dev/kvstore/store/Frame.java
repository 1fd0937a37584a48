package dev.kvstore.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.zip.CRC32;

/**
 * The one place that knows the on-disk frame of the seed log format (v1). All integers are little-endian.
 *
 * <pre>
 * offset        size       field
 * 0             4          total_len  u32: bytes after this field = 16 + key_len + value_len
 * 4             1          magic      configured per store (default 0xAA)
 * 5             1          version    configured per store (default 0x01)
 * 6             1          op         0x01 SET, 0x02 DELETE
 * 7             1          encoding   0x00 UTF-8, 0x01 i64 LE, 0x02 f64 LE (IEEE-754); DELETE carries 0x00
 * 8             4          key_len    u32
 * 12            4          value_len  u32, 0 for DELETE
 * 16            key_len    key        UTF-8
 * 16+k          value_len  value
 * 16+k+v        4          crc32      CRC-32 (IEEE, as java.util.zip.CRC32) over bytes 4 .. 16+k+v
 * </pre>
 *
 * A frame is {@code 4 + total_len} bytes. Reading a frame is two steps, so that nothing is allocated from an
 * unchecked length: {@link #checkLength} bounds {@code total_len} by the limits and the bytes left in the file,
 * then {@link #checkBody} verifies the bytes of the whole frame, then {@link #decode} builds the record.
 */
final class Frame {

    static final int TOTAL_LEN_OFFSET = 0;
    static final int MAGIC_OFFSET = 4;
    static final int VERSION_OFFSET = 5;
    static final int OP_OFFSET = 6;
    static final int ENCODING_OFFSET = 7;
    static final int KEY_LEN_OFFSET = 8;
    static final int VALUE_LEN_OFFSET = 12;
    static final int KEY_OFFSET = 16;

    static final int LENGTH_FIELD_BYTES = 4;
    static final int CRC_BYTES = 4;
    /** Bytes of a frame besides key and value: header and CRC. */
    static final int OVERHEAD = KEY_OFFSET + CRC_BYTES;
    /** {@code total_len} of a frame with an empty key and value. */
    static final int FIXED_TOTAL_LEN = OVERHEAD - LENGTH_FIELD_BYTES;

    static final byte OP_SET = 0x01;
    static final byte OP_DELETE = 0x02;
    static final byte ENCODING_UTF8 = 0x00;
    static final byte ENCODING_I64 = 0x01;
    static final byte ENCODING_F64 = 0x02;
    static final int NUMBER_BYTES = 8;

    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private Frame() {
    }

    /** A SET frame of {@code value} under the UTF-8 bytes {@code key}. */
    static byte[] encodeSet(LogFormat format, byte[] key, Value value) {
        return encode(format, OP_SET, value.type().encoding(), key, valueBytes(value));
    }

    /** The value field of a SET frame; throws {@link IllegalArgumentException} for a string with no UTF-8 form. */
    static byte[] valueBytes(Value value) {
        if (value instanceof Value.Text t) {
            return Utf8.encode(t.value());
        }
        return longBytes(value instanceof Value.Int i ? i.value() : Double.doubleToRawLongBits(((Value.Float) value).value()));
    }

    static byte[] encodeDelete(LogFormat format, byte[] key) {
        return encode(format, OP_DELETE, ENCODING_UTF8, key, new byte[0]);
    }

    static byte[] encode(LogFormat format, byte op, byte encoding, byte[] key, byte[] value) {
        byte[] frame = new byte[OVERHEAD + key.length + value.length];
        INT_LE.set(frame, TOTAL_LEN_OFFSET, FIXED_TOTAL_LEN + key.length + value.length);
        frame[MAGIC_OFFSET] = format.magic();
        frame[VERSION_OFFSET] = format.version();
        frame[OP_OFFSET] = op;
        frame[ENCODING_OFFSET] = encoding;
        INT_LE.set(frame, KEY_LEN_OFFSET, key.length);
        INT_LE.set(frame, VALUE_LEN_OFFSET, value.length);
        System.arraycopy(key, 0, frame, KEY_OFFSET, key.length);
        System.arraycopy(value, 0, frame, KEY_OFFSET + key.length, value.length);
        int crcOffset = KEY_OFFSET + key.length + value.length;
        INT_LE.set(frame, crcOffset, checksum(frame, 0, crcOffset));
        return frame;
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

    /**
     * Verifies the whole frame at {@code start}, whose {@code total_len} already passed {@link #checkLength}.
     *
     * @return {@code null} when the frame is sound, else what is wrong
     */
    static FrameDefect checkBody(byte[] buf, int start, LogFormat format) {
        long totalLen = totalLength(buf, start);
        long keyLen = Integer.toUnsignedLong((int) INT_LE.get(buf, start + KEY_LEN_OFFSET));
        long valueLen = Integer.toUnsignedLong((int) INT_LE.get(buf, start + VALUE_LEN_OFFSET));
        if (FIXED_TOTAL_LEN + keyLen + valueLen != totalLen) {
            return FrameDefect.LENGTH_MISMATCH;
        }
        int crcOffset = (int) (KEY_OFFSET + keyLen + valueLen);
        if (storedChecksum(buf, start + crcOffset) != checksum(buf, start, crcOffset)) {
            return FrameDefect.BAD_CRC;
        }
        if (buf[start + MAGIC_OFFSET] != format.magic()) {
            return FrameDefect.WRONG_MAGIC;
        }
        if (buf[start + VERSION_OFFSET] != format.version()) {
            return FrameDefect.WRONG_VERSION;
        }
        if (keyLen > format.maxKeyBytes() || valueLen > format.maxValueBytes()) {
            return FrameDefect.OVER_LIMIT;
        }
        return checkOpAndEncoding(buf[start + OP_OFFSET], buf[start + ENCODING_OFFSET], valueLen);
    }

    private static FrameDefect checkOpAndEncoding(byte op, byte encoding, long valueLen) {
        if (op == OP_DELETE) {
            return encoding == ENCODING_UTF8 && valueLen == 0 ? null : FrameDefect.BAD_VALUE;
        }
        if (op != OP_SET) {
            return FrameDefect.UNKNOWN_OP;
        }
        return switch (encoding) {
            case ENCODING_UTF8 -> null;
            case ENCODING_I64, ENCODING_F64 -> valueLen == NUMBER_BYTES ? null : FrameDefect.BAD_VALUE;
            default -> FrameDefect.UNKNOWN_ENCODING;
        };
    }

    /**
     * Decodes a frame that passed {@link #checkBody}.
     *
     * @return the record, or {@code null} when its key or string value is not valid UTF-8
     */
    static LogRecord decode(byte[] buf, int start) {
        int keyLen = (int) INT_LE.get(buf, start + KEY_LEN_OFFSET);
        int valueLen = (int) INT_LE.get(buf, start + VALUE_LEN_OFFSET);
        String key = Utf8.decode(buf, start + KEY_OFFSET, keyLen);
        if (key == null) {
            return null;
        }
        if (buf[start + OP_OFFSET] == OP_DELETE) {
            return new LogRecord(key, null);
        }
        int valueOffset = start + KEY_OFFSET + keyLen;
        Value value = switch (buf[start + ENCODING_OFFSET]) {
            case ENCODING_I64 -> Value.of((long) LONG_LE.get(buf, valueOffset));
            case ENCODING_F64 -> Value.of(Double.longBitsToDouble((long) LONG_LE.get(buf, valueOffset)));
            default -> {
                String s = Utf8.decode(buf, valueOffset, valueLen);
                yield s == null ? null : Value.of(s);
            }
        };
        return value == null ? null : new LogRecord(key, value);
    }

    /** Bytes of the SET frame of {@code value} under a key of {@code keyBytes} UTF-8 bytes. */
    static long setFrameLength(int keyBytes, Value value) {
        int valueBytes = value instanceof Value.Text t ? Utf8.encodedLength(t.value()) : NUMBER_BYTES;
        return OVERHEAD + (long) keyBytes + valueBytes;
    }

    /** {@code key_len} of the frame at the start of {@code frame}. */
    static int keyLength(byte[] frame) {
        return (int) INT_LE.get(frame, KEY_LEN_OFFSET);
    }

    static byte[] longBytes(long v) {
        byte[] b = new byte[NUMBER_BYTES];
        LONG_LE.set(b, 0, v);
        return b;
    }
}
