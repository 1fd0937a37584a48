package dev.kvstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
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

    /** Receives each sound frame with its place in the file. */
    @FunctionalInterface
    interface FrameSink {
        void frame(long offset, int length, LogRecord record);
    }

    /** A sound frame and its length. */
    record Sound(LogRecord record, int length) {
    }

    /** Feeds every sound frame from the start of the file to {@code sink}, stopping at the first defect. */
    Result scan(FrameSink sink) throws IOException {
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
            int length = (int) (Frame.LENGTH_FIELD_BYTES + Frame.totalLength(buf, start));
            sink.frame(pos, length, record);
            frames++;
            pos += length;
        }
        return new Result(pos, frames, null, (byte) 0, (byte) 0);
    }

    /**
     * The first frame after {@code offset} whose lengths and CRC check out, whatever else is wrong with it, or
     * {@code null} when there is none. Its {@code validBytes} is its offset, and its defect is {@code null} for a
     * sound frame. A hit means a bad frame is followed by data: damage or a lost write, not a torn tail.
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

    /** The frame at {@code pos} if it is sound, else {@code null}. */
    Sound soundAt(long pos) throws IOException {
        if (examine(pos) != null) {
            return null;
        }
        int start = (int) (pos - bufStart);
        LogRecord record = Frame.decode(buf, start);
        return record == null ? null : new Sound(record, (int) (Frame.LENGTH_FIELD_BYTES + Frame.totalLength(buf, start)));
    }

    /** Disks write whole sectors: a sector the power cut kept from the disk reads back as zeros. */
    static final int SECTOR_BYTES = 512;
    private static final byte[] ZERO_SECTOR = new byte[SECTOR_BYTES];

    /**
     * Whether the bytes from the bad frame at {@code bad} up to the sound frame at {@code next} are what a write that
     * never reached the disk leaves behind, when a later one did. There are two signs of it:
     * <ul>
     *   <li>a whole sector of zeros somewhere in between (as etcd's WAL detects torn writes): the kernel writes a
     *       file back page by page, in no set order, so a lost page or sector can sit inside a frame while pages
     *       after it made it to the disk;</li>
     *   <li>the frame at {@code bad} cut short at some byte, and zeros from there right up to {@code next}: a
     *       whole write lost or torn while a later write (which starts at a frame boundary) was kept. A frame cut
     *       inside its CRC field counts only if the CRC bytes it kept match its contents.</li>
     * </ul>
     * Real damage rarely looks like either. A flipped bit leaves the frame whole and its CRC nonzero.
     */
    boolean isLostWrite(long bad, long next) throws IOException {
        return hasZeroSector(bad, next) || endsInLostBytes(bad, next);
    }

    private boolean hasZeroSector(long from, long to) throws IOException {
        for (long s = (from + SECTOR_BYTES - 1) / SECTOR_BYTES * SECTOR_BYTES; s + SECTOR_BYTES <= to;
             s += SECTOR_BYTES) {
            load(s, SECTOR_BYTES);
            int start = (int) (s - bufStart);
            if (Arrays.mismatch(buf, start, start + SECTOR_BYTES, ZERO_SECTOR, 0, SECTOR_BYTES) < 0) {
                return true;
            }
        }
        return false;
    }

    private boolean endsInLostBytes(long bad, long next) throws IOException {
        long zeros = next;
        while (zeros > bad && byteBefore(zeros) == 0) {
            zeros--;
        }
        if (zeros == next) {
            return false;
        }
        if (zeros <= bad + Frame.LENGTH_FIELD_BYTES) {
            return true;
        }
        load(bad, Frame.LENGTH_FIELD_BYTES);
        long end = bad + Frame.LENGTH_FIELD_BYTES + Frame.totalLength(buf, (int) (bad - bufStart));
        if (end > next || zeros >= end) {
            return false;
        }
        long crcAt = end - Frame.CRC_BYTES;
        if (zeros <= crcAt) {
            return true;
        }
        int crc = checksumOf(bad, crcAt);
        for (long p = crcAt; p < zeros; p++) {
            if (byteAt(p) != (byte) (crc >>> (8 * (p - crcAt)))) {
                return false;
            }
        }
        return true;
    }

    private byte byteAt(long pos) throws IOException {
        load(pos, 1);
        return buf[(int) (pos - bufStart)];
    }

    /** The byte at {@code end - 1}, loading the buffer backwards from there, for scans toward the start. */
    private byte byteBefore(long end) throws IOException {
        long pos = end - 1;
        if (pos < bufStart || pos >= bufStart + bufLen) {
            long from = Math.max(0, end - buf.length);
            load(from, (int) (end - from));
        }
        return buf[(int) (pos - bufStart)];
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

    /** Checks the CRC of a frame too large for the buffer by streaming it through the buffer. */
    private boolean checksumMatches(long pos, long totalLen) throws IOException {
        long crcAt = pos + Frame.LENGTH_FIELD_BYTES + totalLen - Frame.CRC_BYTES;
        int crc = checksumOf(pos, crcAt);
        load(crcAt, Frame.CRC_BYTES);
        return Frame.storedChecksum(buf, (int) (crcAt - bufStart)) == crc;
    }

    /** The CRC-32 of the frame at {@code pos} whose CRC field starts at {@code crcAt}, read in buffer-sized steps. */
    private int checksumOf(long pos, long crcAt) throws IOException {
        CRC32 crc = new CRC32();
        for (long p = pos + Frame.MAGIC_OFFSET; p < crcAt; ) {
            int n = (int) Math.min(buf.length, crcAt - p);
            load(p, n);
            crc.update(buf, (int) (p - bufStart), n);
            p += n;
        }
        return (int) crc.getValue();
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
