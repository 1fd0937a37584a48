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

        byte[] other = Frame.encodeSet(FORMAT, Utf8.encode("k"), Value.of(7L));
        other[Frame.KEY_LEN_OFFSET] = 2;
        assertThat(Frame.checkBody(other, 0, FORMAT)).isEqualTo(FrameDefect.LENGTH_MISMATCH);
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
