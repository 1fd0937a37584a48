package dev.kvstore.store;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;

/**
 * How much of the log is known to be forced, and how the log is being written, kept beside it in
 * {@code kvstore.log.forced} ({@link DataDirectory}) so that recovery can tell the trace of a power cut (which can only damage what was
 * never forced, and under {@code always} no more than one write call) from damage to forced data.
 *
 * <pre>
 * offset size field
 * 0      8    forced     u64 LE: the log's first {@code forced} bytes were durable when this was written
 * 8      4    last_crc   the 4 bytes before {@code forced} in the log (the CRC of the frame ending there); 0 when
 *                        forced is 0
 * 12     4    first_crc  the CRC field of the log's first frame; 0 when forced is 0
 * 16     4    max_write  u32: the most bytes the writer puts in one write call (a group, or one larger frame)
 * 20     1    sync       the sync mode the log is written under: 1 always, 2 interval, 3 none
 * 21     3    zero
 * 24     4    crc32      CRC-32 of bytes 0..23
 * </pre>
 *
 * It is written and forced when the log opens (all of it forced then), when compaction switches files, and at close.
 * While the store runs it is rewritten after every force (on the timer thread, coalesced, so it lags the truth by
 * about one force and never delays a write) without a force of its own, and forced about once a second when it
 * changed: every mark it ever held was true when written, so a power cut leaves a mark at most that much older.
 * It is never ahead of the truth. It is rewritten in place at offset 0, inside one 512-byte sector, which disks write
 * whole or not at all, so a power cut leaves the old mark or the new one; were it torn anyway, its CRC would fail
 * and recovery would do without it.
 *
 * <p>{@link #fit} says whether a mark belongs to a log: the bytes before {@code forced}, or the log's first frame,
 * must be the ones the mark saw. A mark of 0 vouches for no bytes and only tells the sync mode.
 */
record ForcedMark(long forced, int lastCrc, int firstCrc, int maxWrite, SyncMode sync) {

    static final int BYTES = 28;
    private static final int LAST_CRC_OFFSET = 8;
    private static final int FIRST_CRC_OFFSET = 12;
    private static final int MAX_WRITE_OFFSET = 16;
    private static final int SYNC_OFFSET = 20;
    private static final int CRC_OFFSET = 24;
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    byte[] encode() {
        byte[] b = new byte[BYTES];
        LONG_LE.set(b, 0, forced);
        INT_LE.set(b, LAST_CRC_OFFSET, lastCrc);
        INT_LE.set(b, FIRST_CRC_OFFSET, firstCrc);
        INT_LE.set(b, MAX_WRITE_OFFSET, maxWrite);
        b[SYNC_OFFSET] = (byte) (sync.ordinal() + 1);
        INT_LE.set(b, CRC_OFFSET, crc(b));
        return b;
    }

    /** The mark in {@code b}, or {@code null} when it is not a whole, intact mark of this layout. */
    static ForcedMark decode(byte[] b, int length) {
        if (length != BYTES || (int) INT_LE.get(b, CRC_OFFSET) != crc(b)) {
            return null;
        }
        long forced = (long) LONG_LE.get(b, 0);
        int sync = b[SYNC_OFFSET] - 1;
        if (forced < 0 || sync < 0 || sync >= SyncMode.values().length) {
            return null;
        }
        return new ForcedMark(forced, (int) INT_LE.get(b, LAST_CRC_OFFSET), (int) INT_LE.get(b, FIRST_CRC_OFFSET),
                (int) INT_LE.get(b, MAX_WRITE_OFFSET), SyncMode.values()[sync]);
    }

    private static int crc(byte[] b) {
        CRC32 crc = new CRC32();
        crc.update(b, 0, CRC_OFFSET);
        return (int) crc.getValue();
    }

    /** The mark for a log whose first {@code forced} bytes are durable, written under {@code sync}. */
    static ForcedMark of(LogChannel log, long forced, SyncMode sync, int maxWrite) throws IOException {
        if (forced < Frame.CRC_BYTES) {
            return new ForcedMark(forced, 0, 0, maxWrite, sync);
        }
        Integer first = firstFrameCrc(log, forced);
        return new ForcedMark(forced, readInt(log, forced - Frame.CRC_BYTES), first == null ? 0 : first, maxWrite,
                sync);
    }

    /** The same mark for a log whose forced part was cut back to {@code forced} bytes. */
    ForcedMark cutTo(LogChannel log, long forced) throws IOException {
        return of(log, forced, sync, maxWrite);
    }

    /**
     * How this mark relates to {@code log}, of {@code size} bytes: {@code MATCHED}, {@code PAST_END} or
     * {@code OTHER_LOG}. It belongs to the log when the bytes before {@code forced} are the ones it saw, or when the
     * log's first frame is; then a log shorter than {@code forced} has lost forced data ({@code PAST_END}). A log too short to hold a first frame is taken for this mark's log too: a power cut never shrinks a log
     * below what was forced.
     */
    Diagnosis.Mark fit(LogChannel log, long size) throws IOException {
        if (forced == 0) {
            return Diagnosis.Mark.MATCHED;
        }
        if (forced <= size && forced >= Frame.CRC_BYTES && readInt(log, forced - Frame.CRC_BYTES) == lastCrc) {
            return Diagnosis.Mark.MATCHED;
        }
        Integer first = firstFrameCrc(log, size);
        if (forced > size && (first == null || first == firstCrc)) {
            return Diagnosis.Mark.PAST_END;
        }
        return first != null && first == firstCrc ? Diagnosis.Mark.MATCHED : Diagnosis.Mark.OTHER_LOG;
    }

    /** The CRC field of the first frame of {@code log}, if a frame of a plausible length ends within {@code end}. */
    private static Integer firstFrameCrc(LogChannel log, long end) throws IOException {
        if (end < Frame.OVERHEAD) {
            return null;
        }
        long totalLen = Integer.toUnsignedLong(readInt(log, Frame.TOTAL_LEN_OFFSET));
        if (totalLen < Frame.FIXED_TOTAL_LEN || Frame.LENGTH_FIELD_BYTES + totalLen > end) {
            return null;
        }
        return readInt(log, Frame.crcOffset(totalLen));
    }

    static ForcedMark read(LogChannel file) throws IOException {
        byte[] b = new byte[BYTES];
        ByteBuffer dst = ByteBuffer.wrap(b);
        while (dst.hasRemaining() && file.read(dst, dst.position()) > 0) {
            // keep reading
        }
        return file.size() == BYTES ? decode(b, dst.position()) : null;
    }

    /** Writes this mark over the one in {@code file} and forces it. */
    void write(LogChannel file) throws IOException {
        writeUnforced(file);
        file.force(false);
    }

    /**
     * Writes this mark over the one in {@code file} without forcing it: a power cut may then leave the previous mark,
     * which was true too, only older.
     */
    void writeUnforced(LogChannel file) throws IOException {
        file.writeFully(ByteBuffer.wrap(encode()), 0);
        // A mark of an older layout was longer: only this one's bytes may remain.
        if (file.size() != BYTES) {
            file.truncate(BYTES);
        }
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
