package dev.kvstore.store;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;

/**
 * A consistent copy of the store in the log format, taken by {@link WalKeyValueStore#snapshot()}: replaying it gives
 * exactly the state the store had at one moment after the request began. It lives in a file that no longer has a
 * name, so it takes disk space only until it is closed, and a crash leaves nothing behind.
 */
public final class Snapshot implements Closeable {

    private static final int CHUNK_BYTES = 64 * 1024;

    private final LogChannel file;
    private final long size;
    private final byte[] sha256;
    private final Instant takenAt;

    Snapshot(LogChannel file, long size, byte[] sha256, Instant takenAt) {
        this.file = file;
        this.size = size;
        this.sha256 = sha256;
        this.takenAt = takenAt;
    }

    /** Bytes in the snapshot. */
    public long size() {
        return size;
    }

    /** SHA-256 of the whole snapshot, for the receiver to check that it arrived whole. */
    public byte[] sha256() {
        return sha256.clone();
    }

    /** When it was asked for. */
    public Instant takenAt() {
        return takenAt;
    }

    /** Writes the whole snapshot to {@code out}. */
    public void transferTo(OutputStream out) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES);
        for (long pos = 0; pos < size; ) {
            buf.clear().limit((int) Math.min(CHUNK_BYTES, size - pos));
            int n = file.read(buf, pos);
            if (n < 0) {
                throw new IOException("the snapshot file shrank at offset " + pos);
            }
            out.write(buf.array(), 0, n);
            pos += n;
        }
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
