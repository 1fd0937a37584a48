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

    /** Receives each sound frame with its place in the file, decoded: for the offline tool and tests. */
    @FunctionalInterface
    interface FrameSink {
        void frame(long offset, int length, LogRecord record);
    }

    /**
     * Receives the sound frames as runs of bytes straight from the scan's buffer, in file order: what replay uses,
     * with no object per frame. A run may be handed to another thread, which is why each call returns the buffer the
     * scan goes on with: {@code buf} itself when the sink is done with it, or another one.
     */
    interface FrameRuns {
        /**
         * Frames {@code [from, to)} of {@code buf}, each sound, {@code count} of them, the first at {@code offset} in
         * the file. Returns the buffer the scan reads into next (of any size).
         */
        byte[] frames(byte[] buf, int from, int to, long offset, int count);

        /** Called once before the first run: at most {@code bytes} of frames follow (a hint to size what it builds). */
        default void expect(long bytes) {
        }

        /** The scan is over: every run was handed over. Returns once the sink has taken all of them in. */
        default void end() {
        }
    }

    /** A sound frame and its length. */
    record Sound(LogRecord record, int length) {
    }

    /** Sound frames seen in the buffer and not yet handed to the {@link FrameRuns}. */
    private FrameRuns runs;
    private int runFrom = -1;
    private int runTo;
    private long runOffset;
    private int runCount;
    private final Frame.TextCheck text = new Frame.TextCheck();

    /** Feeds every sound frame from the start of the file to {@code sink}, decoded, stopping at the first defect. */
    Result scan(FrameSink sink) throws IOException {
        return scan(decoding(sink));
    }

    /** {@code sink} as {@link FrameRuns}: decodes each frame of a run, on the scanning thread. */
    static FrameRuns decoding(FrameSink sink) {
        return (buf, from, to, offset, count) -> {
            for (int at = from; at < to; ) {
                int length = (int) (Frame.LENGTH_FIELD_BYTES + Frame.totalLength(buf, at));
                sink.frame(offset + (at - from), length, Frame.decode(buf, at));
                at += length;
            }
            return buf;
        };
    }

    /**
     * Feeds every sound frame from the start of the file to {@code sink} in runs, stopping at the first defect; every
     * frame before it has been handed over (and {@link FrameRuns#end} called) when this returns.
     */
    Result scan(FrameRuns sink) throws IOException {
        runs = sink;
        sink.expect(size);
        try {
            long pos = 0;
            long frames = 0;
            Result result = null;
            while (pos < size) {
                FrameDefect defect = examine(pos);
                if (defect != null) {
                    result = defectAt(pos, frames, defect);
                    break;
                }
                int start = (int) (pos - bufStart);
                int length = (int) (Frame.LENGTH_FIELD_BYTES + Frame.totalLength(buf, start));
                if (runFrom < 0) {
                    runFrom = start;
                    runOffset = pos;
                }
                runTo = start + length;
                runCount++;
                frames++;
                pos += length;
            }
            handOver();
            return result != null ? result : new Result(pos, frames, null, (byte) 0, (byte) 0);
        } finally {
            runs = null;
            runFrom = -1;
            runCount = 0;
            sink.end();
        }
    }

    /** Hands the frames of the current run to the sink before the buffer is read over. */
    private void handOver() {
        if (runs != null && runFrom >= 0) {
            buf = runs.frames(buf, runFrom, runTo, runOffset, runCount);
            bufLen = 0;
            runFrom = -1;
            runCount = 0;
        }
    }

    /** What a search for a frame after a bad one found. */
    record Search(Outcome outcome, Result frame) {
        enum Outcome {
            /** No frame whose envelope is sound lies anywhere after the bad one. */
            NONE,
            /** {@code frame} is the first one after the bad one whose envelope is sound. */
            FOUND,
            /** The search gave up before it could tell (see {@link #findFrameAfter}). */
            UNDECIDED
        }

        static final Search NOTHING = new Search(Outcome.NONE, null);
        static final Search GAVE_UP = new Search(Outcome.UNDECIDED, null);
    }

    /**
     * A search may stream this many CRC bytes per byte it searches, plus {@link #CRC_ALLOWANCE}, before it gives up.
     * Bytes that only look like frame headers cost a CRC each; ordinary data, random bytes and zeros never come
     * close, while a file crafted to hold a header at every offset would otherwise make the search quadratic.
     */
    static final int CRC_BYTES_PER_BYTE = 4;
    static final long CRC_ALLOWANCE = 64L << 20;

    /**
     * The first frame after {@code offset} whose envelope is sound (its length fits the file and its CRC checks out),
     * whatever else is wrong with it. Its {@code validBytes} is its offset, and its defect is {@code null} for a sound
     * frame. A hit means a bad frame is followed by data: damage or a lost write, not a torn tail.
     *
     * <p>Linear in the bytes searched: at each offset it first reads the 16-byte header and keeps the offset only
     * if the header's own numbers agree ({@link Frame#headerConsistent}, and {@code total_len} inside the file),
     * which needs no version byte and no CRC; only such offsets get a CRC. All of them together may stream at most
     * {@link #CRC_BYTES_PER_BYTE} bytes per byte searched, plus {@link #CRC_ALLOWANCE}; past that the search is
     * {@link Search.Outcome#UNDECIDED}, which recovery refuses rather than guess.
     */
    Search findFrameAfter(long offset) throws IOException {
        long budget = CRC_BYTES_PER_BYTE * (size - offset) + CRC_ALLOWANCE;
        for (long p = offset + 1; p + Frame.OVERHEAD <= size; p++) {
            load(p, Frame.KEY_OFFSET);
            int at = (int) (p - bufStart);
            long totalLen = Frame.totalLength(buf, at);
            if (totalLen < Frame.FIXED_TOTAL_LEN || Frame.LENGTH_FIELD_BYTES + totalLen > size - p
                    || !Frame.headerConsistent(totalLen, Frame.keyLength(buf, at), Frame.valueLength(buf, at))) {
                continue;
            }
            budget -= totalLen;
            if (budget < 0) {
                return Search.GAVE_UP;
            }
            FrameDefect defect = examine(p);
            if (defect == null || defect.isChecksummed()) {
                return new Search(Search.Outcome.FOUND,
                        defect == null ? new Result(p, 0, null, (byte) 0, (byte) 0) : defectAt(p, 0, defect));
            }
        }
        return Search.NOTHING;
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
     * Whether the bytes from the bad frame at {@code bad} up to the sound frame at {@code next} are what writes that
     * never reached the disk leave behind, when a later one did. Such bytes are zeros where the lost bytes were, and
     * are found in three shapes:
     * <ul>
     *   <li>a whole sector of zeros somewhere in between (as etcd's WAL detects torn writes): the kernel writes a
     *       file back page by page, in no set order, so a lost page or sector can sit inside a frame while pages
     *       after it made it to the disk;</li>
     *   <li>zeros from the bad frame's start up to the next sector boundary: the page that held the end of the
     *       forced part was not written back again, while later pages were;</li>
     *   <li>write by write: each write between is lost (zeros) or cut short inside its first frame (a prefix, then
     *       zeros to that frame's end), and the bad frame itself is cut short the same way
     *       ({@link #cutShortFrameEnd}). A frame cut inside its CRC field counts only if the CRC bytes it kept match
     *       its contents.</li>
     * </ul>
     * Real damage rarely looks like any of them. A flipped bit leaves the frame whole and its CRC nonzero; garbage is
     * not zeros. Linear in the bytes between.
     */
    boolean isLostWrite(long bad, long next) throws IOException {
        return hasZeroSector(bad, next) || zerosToSectorBoundary(bad, next) || lostWriteByWrite(bad, next);
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

    private boolean zerosToSectorBoundary(long bad, long next) throws IOException {
        long boundary = (bad / SECTOR_BYTES + 1) * SECTOR_BYTES;
        if (boundary > next) {
            return false;
        }
        for (long p = bad; p < boundary; p++) {
            if (byteAt(p) != 0) {
                return false;
            }
        }
        return true;
    }

    private boolean lostWriteByWrite(long bad, long next) throws IOException {
        long p = bad;
        while (true) {
            long q = p;
            while (q < next && byteAt(q) == 0) {
                q++;
            }
            if (q == next) {
                return true;
            }
            long end = -1;
            // The next write starts at q, or up to three bytes before it when its total_len begins with zero bytes.
            for (long s = q; end < 0 && s >= Math.max(p, q - (Frame.LENGTH_FIELD_BYTES - 1)); s--) {
                end = cutShortFrameEnd(s, next);
            }
            if (end < 0) {
                return false;
            }
            p = end;
        }
    }

    /**
     * Where the frame at {@code start} ends, if it is one cut short before {@code next}: some prefix of it, then
     * zeros to its end. A prefix of the length field alone reads as a small length; then the frame is taken to end
     * with its length field, and the zeros after it are skipped like those of a lost write. Returns -1 when the bytes
     * are not a frame cut short.
     */
    private long cutShortFrameEnd(long start, long next) throws IOException {
        if (start + Frame.LENGTH_FIELD_BYTES > next) {
            return -1;
        }
        load(start, Frame.LENGTH_FIELD_BYTES);
        long totalLen = Frame.totalLength(buf, (int) (start - bufStart));
        if (totalLen < Frame.FIXED_TOTAL_LEN) {
            return start + Frame.LENGTH_FIELD_BYTES;
        }
        long end = start + Frame.LENGTH_FIELD_BYTES + totalLen;
        if (end > next) {
            return -1;
        }
        long kept = end;
        while (kept > start && byteBefore(kept) == 0) {
            kept--;
        }
        if (kept == end) {
            return -1;
        }
        long crcAt = end - Frame.CRC_BYTES;
        if (kept > crcAt) {
            int crc = checksumOf(start, crcAt);
            for (long p = crcAt; p < kept; p++) {
                if (byteAt(p) != (byte) (crc >>> (8 * (p - crcAt)))) {
                    return -1;
                }
            }
        }
        return end;
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

    /**
     * Checks the frame at {@code pos}, envelope first, leaving all of it in the buffer when its length is plausible
     * (a frame too large to load keeps only its header there).
     */
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
            if (!checksumMatches(pos, totalLen)) {
                return FrameDefect.BAD_CRC;
            }
            load(pos, Frame.KEY_OFFSET);
            return Frame.checkOversizedLayout(buf, (int) (pos - bufStart), format);
        }
        if (defect != null) {
            return defect;
        }
        load(pos, (int) (Frame.LENGTH_FIELD_BYTES + totalLen));
        int start = (int) (pos - bufStart);
        FrameDefect body = Frame.checkBody(buf, start, format);
        return body != null ? body : text.check(buf, start);
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
        handOver();
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
