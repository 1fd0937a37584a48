package dev.kvstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameTest {

    private static final LogFormat FORMAT = new LogFormat((byte) 0xAA, 1024, 4 << 20);

    @Test
    void encodesTheExampleOfTheFormatSpecByteForByte() {
        byte[] frame = Frame.encodeSet(FORMAT, Utf8.encode("a"), Value.of("b"));

        assertThat(HexFormat.ofDelimiter(" ").withUpperCase().formatHex(frame))
                .isEqualTo("12 00 00 00 AA 01 01 00 01 00 00 00 01 00 00 00 61 62 85 43 6C F0");
    }

    @Test
    void encodesADeleteWithEncodingZeroAndNoValue() {
        byte[] frame = Frame.encodeDelete(FORMAT, Utf8.encode("tmp"));

        assertThat(frame).hasSize(Frame.OVERHEAD + 3);
        assertThat(frame[Frame.OP_OFFSET]).isEqualTo(Frame.OP_DELETE);
        assertThat(frame[Frame.ENCODING_OFFSET]).isEqualTo(Frame.ENCODING_UTF8);
        assertThat(Frame.checkBody(frame, 0, FORMAT)).isNull();
        assertThat(Frame.decode(frame, 0)).isEqualTo(new LogRecord.Delete("tmp", 0));
    }

    @Test
    void roundTripsEveryTypeIncludingTheAwkwardValues() {
        List<Value> values = List.of(Value.of(""), Value.of("välue ✓ 🙂"), Value.of(Long.MIN_VALUE),
                Value.of(Long.MAX_VALUE), Value.of(0L), Value.of(-0.0), Value.of(Double.MIN_VALUE),
                Value.of(1e308), Value.of(Math.PI));
        for (Value v : values) {
            byte[] frame = Frame.encodeSet(FORMAT, Utf8.encode("ключ/ü"), v);

            assertThat(Frame.totalLength(frame, 0)).isEqualTo(frame.length - 4L);
            assertThat(Frame.checkLength(Frame.totalLength(frame, 0), frame.length, FORMAT)).isNull();
            assertThat(Frame.checkBody(frame, 0, FORMAT)).isNull();
            assertThat(Frame.decode(frame, 0)).isEqualTo(new LogRecord.Set("ключ/ü", v, 0, 0));
        }
    }

    @Test
    void negativeZeroKeepsItsSignBit() {
        byte[] frame = Frame.encodeSet(FORMAT, Utf8.encode("z"), Value.of(-0.0));

        Value.Float decoded = (Value.Float) ((LogRecord.Set) Frame.decode(frame, 0)).value();
        assertThat(Double.doubleToRawLongBits(decoded.value())).isEqualTo(Double.doubleToRawLongBits(-0.0));
    }

    @Test
    void matchesEveryFrameOfTheGoldenBasicLog() {
        // Re-encoding what the independent encoder wrote must give back the same bytes, frame by frame.
        byte[] log = GoldenLogs.bytes("basic.log");
        int frames = 0;
        for (int pos = 0; pos < log.length; frames++) {
            int len = (int) (4 + Frame.totalLength(log, pos));
            assertThat(Frame.checkBody(log, pos, FORMAT)).isNull();
            LogRecord r = Frame.decode(log, pos);
            byte[] again = r instanceof LogRecord.Set s
                    ? Frame.encodeSet(FORMAT, Utf8.encode(s.key()), s.value())
                    : Frame.encodeDelete(FORMAT, Utf8.encode(((LogRecord.Delete) r).key()));
            assertThat(again).isEqualTo(java.util.Arrays.copyOfRange(log, pos, pos + len));
            pos += len;
        }
        assertThat(frames).isEqualTo(16);
    }

    @Test
    void flagsABadChecksumAndAnInconsistentLength() {
        byte[] frame = Frame.encodeSet(FORMAT, Utf8.encode("k"), Value.of(7L));
        frame[frame.length - 1] ^= 0x01;
        assertThat(Frame.checkBody(frame, 0, FORMAT)).isEqualTo(FrameDefect.BAD_CRC);

        // A length field changed after the CRC was computed is caught by the envelope, before any layout check.
        byte[] other = Frame.encodeSet(FORMAT, Utf8.encode("k"), Value.of(7L));
        other[Frame.KEY_LEN_OFFSET] = 2;
        assertThat(Frame.checkBody(other, 0, FORMAT)).isEqualTo(FrameDefect.BAD_CRC);

        // Written that way, under a CRC that checks out: the envelope is sound and the layout does not fit.
        restamp(other);
        assertThat(Frame.checkEnvelope(other, 0)).isNull();
        assertThat(Frame.checkBody(other, 0, FORMAT)).isEqualTo(FrameDefect.LENGTH_MISMATCH);
        assertThat(FrameDefect.LENGTH_MISMATCH.isChecksummed()).isTrue();
    }

    @Test
    void aVersionByteThatNamesTheOtherLayoutIsASoundEnvelopeThatDoesNotFit() {
        byte[] v1AsV2 = Frame.encodeSet(FORMAT, Utf8.encode("k"), Value.of("v"));
        v1AsV2[Frame.VERSION_OFFSET] = Frame.VERSION_REVISIONS;
        restamp(v1AsV2);
        assertThat(Frame.checkBody(v1AsV2, 0, FORMAT)).isEqualTo(FrameDefect.LENGTH_MISMATCH);

        byte[] v2AsV1 = Frame.encodeSetV2(FORMAT.magic(), Utf8.encode("k"), Value.of("v"), 1, 1);
        v2AsV1[Frame.VERSION_OFFSET] = Frame.VERSION_SEED;
        restamp(v2AsV1);
        assertThat(Frame.checkBody(v2AsV1, 0, FORMAT)).isEqualTo(FrameDefect.LENGTH_MISMATCH);
    }

    @Test
    void headerConsistencyNeedsNoVersion() {
        assertThat(Frame.headerConsistent(16 + 3 + 5, 3, 5)).isTrue();
        assertThat(Frame.headerConsistent(32 + 3 + 5, 3, 5)).isTrue();
        assertThat(Frame.headerConsistent(24 + 3 + 5, 3, 5)).isFalse();
        // Unsigned: lengths near 2^32 do not wrap around to a small total.
        assertThat(Frame.headerConsistent(16, 0xFFFFFFFFL, 1)).isFalse();
    }

    /** Recomputes the CRC of the frame at the start of {@code frame} over the bytes its total_len covers. */
    static void restamp(byte[] frame) {
        int crcAt = Frame.crcOffset(Frame.totalLength(frame, 0));
        java.nio.ByteBuffer.wrap(frame).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt(crcAt, Frame.checksum(frame, 0, crcAt));
    }

    @Test
    void boundsTotalLengthBeforeAnythingIsRead() {
        assertThat(Frame.checkLength(0, 1000, FORMAT)).isEqualTo(FrameDefect.LENGTH_TOO_SMALL);
        assertThat(Frame.checkLength(15, 1000, FORMAT)).isEqualTo(FrameDefect.LENGTH_TOO_SMALL);
        assertThat(Frame.checkLength(0xFFFFFFF0L, 1L << 40, FORMAT)).isEqualTo(FrameDefect.LENGTH_TOO_LARGE);
        assertThat(Frame.checkLength(100, 50, FORMAT)).isEqualTo(FrameDefect.SHORT_BODY);
        assertThat(Frame.checkLength(16, 20, FORMAT)).isNull();
    }

    @Test
    void refusesNumbersOfTheWrongWidthAndUnknownOpsOrEncodings() {
        byte[] wide = Frame.encode(FORMAT, Frame.OP_SET, Frame.ENCODING_I64, Utf8.encode("k"), new byte[7]);
        assertThat(Frame.checkBody(wide, 0, FORMAT)).isEqualTo(FrameDefect.BAD_VALUE);
        byte[] op = Frame.encode(FORMAT, (byte) 3, Frame.ENCODING_UTF8, Utf8.encode("k"), new byte[0]);
        assertThat(Frame.checkBody(op, 0, FORMAT)).isEqualTo(FrameDefect.UNKNOWN_OP);
        byte[] enc = Frame.encode(FORMAT, Frame.OP_SET, (byte) 9, Utf8.encode("k"), new byte[0]);
        assertThat(Frame.checkBody(enc, 0, FORMAT)).isEqualTo(FrameDefect.UNKNOWN_ENCODING);
        byte[] del = Frame.encode(FORMAT, Frame.OP_DELETE, Frame.ENCODING_UTF8, Utf8.encode("k"), new byte[1]);
        assertThat(Frame.checkBody(del, 0, FORMAT)).isEqualTo(FrameDefect.BAD_VALUE);
    }

    @Test
    void refusesInvalidUtf8WithAGoodChecksum() {
        byte[] frame = Frame.encode(FORMAT, Frame.OP_SET, Frame.ENCODING_UTF8, new byte[] {(byte) 0xC3, 0x28},
                new byte[0]);

        assertThat(Frame.checkBody(frame, 0, FORMAT)).isNull();
        assertThat(Frame.decode(frame, 0)).isNull();
    }
}
