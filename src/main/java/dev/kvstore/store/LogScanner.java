package dev.kvstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import java.util.zip.CRC32;

/**
 * Reads a log front to back through one bounded buffer. The buffer only grows to hold a frame whose length has
 * passed {@link Frame#checkLength}, so a damaged length never causes a large allocation.
 */
final class LogScanner {

    private static final int BUFFER_BYTES = 1 << 20;

    private final LogChannel channel;
    private final LogFormat format;
    private final long size;
    private byte[] buf = new byte[BUFFER_BYTES];
    private long bufStart;
    private int bufLen;

    LogScanner(LogChannel channel, LogFormat format, long size) {
        this.channel = channel;
        this.format = format;
        this.size = size;
    }

    /** Where a scan stopped: the end of the file, or the first frame that is not sound. */
    record Result(long validBytes, long frames, FrameDefect defect, byte foundMagic, byte foundVersion) {
        boolean clean() {
            return defect == null;
        }
    }

    /** Feeds every sound frame from the start of the file to {@code sink}, stopping at the first defect. */
    Result scan(Consumer<LogRecord> sink) throws IOException {
        long pos = 0;
        long frames = 0;
        while (pos < size) {
            FrameDefect defect = examine(pos);
            if (defect != null) {
                return defectAt(pos, frames, defect);
            }
            int start = (int) (pos - bufStart);
            LogRecord record = Frame.decode(buf, start);
            if (record == null) {
                return defectAt(pos, frames, FrameDefect.INVALID_UTF8);
            }
            sink.accept(record);
            frames++;
            pos += Frame.LENGTH_FIELD_BYTES + Frame.totalLength(buf, start);
        }
        return new Result(pos, frames, null, (byte) 0, (byte) 0);
    }

    /**
     * The first frame after {@code offset} whose lengths and CRC check out, whatever else is wrong with it, or
     * {@code null} when there is none. Its {@code validBytes} is its offset, and its defect is {@code null} for a
     * sound frame. A hit means a bad frame is followed by data: damage, not a torn write.
     */
    Result findFrameAfter(long offset) throws IOException {
        for (long p = offset + 1; p + Frame.OVERHEAD <= size; p++) {
            FrameDefect defect = examine(p);
            if (defect == null || defect.isChecksummed()) {
                return defect == null ? new Result(p, 0, null, (byte) 0, (byte) 0) : defectAt(p, 0, defect);
            }
        }
        return null;
    }

    /** Checks the frame at {@code pos}, leaving all of it in the buffer when its length is plausible. */
    private FrameDefect examine(long pos) throws IOException {
        long available = size - pos;
        if (available < Frame.LENGTH_FIELD_BYTES) {
            return FrameDefect.SHORT_LENGTH;
        }
        load(pos, Frame.LENGTH_FIELD_BYTES);
        long totalLen = Frame.totalLength(buf, (int) (pos - bufStart));
        FrameDefect defect = Frame.checkLength(totalLen, available, format);
        if (defect == FrameDefect.LENGTH_TOO_LARGE && Frame.LENGTH_FIELD_BYTES + totalLen <= available) {
            // Too large to load, but all there: a frame written under larger limits must not pass for a torn one.
            return checksumMatches(pos, totalLen) ? FrameDefect.OVER_LIMIT : FrameDefect.BAD_CRC;
        }
        if (defect != null) {
            return defect;
        }
        load(pos, (int) (Frame.LENGTH_FIELD_BYTES + totalLen));
        return Frame.checkBody(buf, (int) (pos - bufStart), format);
    }

    /** Computes the CRC of a frame too large for the buffer by streaming it through the buffer. */
    private boolean checksumMatches(long pos, long totalLen) throws IOException {
        CRC32 crc = new CRC32();
        long crcAt = pos + Frame.LENGTH_FIELD_BYTES + totalLen - Frame.CRC_BYTES;
        for (long p = pos + Frame.MAGIC_OFFSET; p < crcAt; ) {
            int n = (int) Math.min(buf.length, crcAt - p);
            load(p, n);
            crc.update(buf, (int) (p - bufStart), n);
            p += n;
        }
        load(crcAt, Frame.CRC_BYTES);
        return Frame.storedChecksum(buf, (int) (crcAt - bufStart)) == (int) crc.getValue();
    }

    private Result defectAt(long pos, long frames, FrameDefect defect) {
        byte magic = 0;
        byte version = 0;
        if (defect.isForeign()) {
            int start = (int) (pos - bufStart);
            magic = buf[start + Frame.MAGIC_OFFSET];
            version = buf[start + Frame.VERSION_OFFSET];
        }
        return new Result(pos, frames, defect, magic, version);
    }

    /** Makes bytes {@code [pos, pos + n)} (all inside the file) available in {@code buf}. */
    private void load(long pos, int n) throws IOException {
        if (pos >= bufStart && pos + n <= bufStart + bufLen) {
            return;
        }
        if (n > buf.length) {
            buf = new byte[n];
        }
        int want = (int) Math.min(buf.length, size - pos);
        ByteBuffer dst = ByteBuffer.wrap(buf, 0, want);
        while (dst.hasRemaining()) {
            if (channel.read(dst, pos + dst.position()) < 0) {
                throw new IOException("log shrank while being read, at offset " + (pos + dst.position()));
            }
        }
        bufStart = pos;
        bufLen = want;
    }
}
