package dev.kvstore.store;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.zip.CRC32;

/**
 * How much of the log is known to be forced, kept beside it in {@code kvstore.log.forced} so that recovery can
 * tell the trace of a power cut (which can only damage what was never forced) from damage to forced data.
 *
 * <pre>
 * offset size field
 * 0      8    forced   u64 LE: the log's first {@code forced} bytes were durable when this was written
 * 8      4    lastCrc  the 4 bytes before {@code forced} in the log (the CRC of the frame ending there), binding
 *                      the mark to this log's contents
 * 12     4    crc32    CRC-32 of bytes 0..11
 * </pre>
 *
 * The mark only ever lags the truth: it is written after the log was forced, and a mark that is torn, missing, or
 * does not match the log is ignored. It is rewritten in place at offset 0, inside one 512-byte sector, which disks
 * write whole or not at all, so a power cut leaves the old mark or the new one; were it torn anyway, its CRC would
 * fail and recovery would fall back to reading the bytes alone ({@link LogScanner#isLostWrite}). A lagging mark is safe: a crash can only damage bytes past the true forced
 * length, which is at least the mark.
 */
record ForcedMark(long forced, int lastCrc) {

    static final String SUFFIX = ".forced";
    static final int BYTES = 16;
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    byte[] encode() {
        byte[] b = new byte[BYTES];
        LONG_LE.set(b, 0, forced);
        INT_LE.set(b, 8, lastCrc);
        INT_LE.set(b, 12, crc(b));
        return b;
    }

    /** The mark in {@code b}, or {@code null} when it is not a whole, intact mark. */
    static ForcedMark decode(byte[] b, int length) {
        if (length != BYTES || (int) INT_LE.get(b, 12) != crc(b)) {
            return null;
        }
        long forced = (long) LONG_LE.get(b, 0);
        return forced < 0 ? null : new ForcedMark(forced, (int) INT_LE.get(b, 8));
    }

    private static int crc(byte[] b) {
        CRC32 crc = new CRC32();
        crc.update(b, 0, 12);
        return (int) crc.getValue();
    }

    /** The mark for a log whose first {@code forced} bytes are durable. */
    static ForcedMark of(LogChannel log, long forced) throws IOException {
        return new ForcedMark(forced, forced < Frame.CRC_BYTES ? 0 : readInt(log, forced - Frame.CRC_BYTES));
    }

    /** Whether this mark belongs to {@code log}: within it, and the bytes before its end are the ones it saw. */
    boolean matches(LogChannel log, long size) throws IOException {
        if (forced > size) {
            return false;
        }
        return forced < Frame.CRC_BYTES ? lastCrc == 0 : readInt(log, forced - Frame.CRC_BYTES) == lastCrc;
    }

    /** Where the mark of {@code log} lives: beside it, named after it. */
    static Path pathFor(Path log) {
        return log.resolveSibling(log.getFileName() + SUFFIX);
    }

    /** The mark kept beside {@code log}, or {@code null} when there is none or it is not intact. */
    static ForcedMark readFor(LogStorage storage, Path log) throws IOException {
        Path mark = pathFor(log);
        if (!storage.exists(mark)) {
            return null;
        }
        try (LogChannel file = storage.open(mark, false)) {
            return read(file);
        }
    }

    static ForcedMark read(LogChannel file) throws IOException {
        byte[] b = new byte[BYTES];
        ByteBuffer dst = ByteBuffer.wrap(b);
        while (dst.hasRemaining() && file.read(dst, dst.position()) > 0) {
            // keep reading
        }
        return file.size() == BYTES ? decode(b, dst.position()) : null;
    }

    void write(LogChannel file) throws IOException {
        file.writeFully(ByteBuffer.wrap(encode()), 0);
        file.force(false);
    }

    private static int readInt(LogChannel log, long pos) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (log.read(b, pos + b.position()) < 0) {
                throw new IOException("log shorter than expected at offset " + pos);
            }
        }
        return b.getInt(0);
    }
}
