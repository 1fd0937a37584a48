package dev.kvstore.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The narrow seam through which the engine does all I/O on one open file. Production uses a real
 * {@link java.nio.channels.FileChannel}; tests put a model of a disk behind it to hold back, fail or lose writes.
 */
interface LogChannel extends Closeable {

    /** Reads into {@code dst} from {@code position}; returns bytes read, or -1 at end of file. */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Writes all of {@code src} at {@code position}, or throws; a failure may leave a prefix of it written. */
    void writeFully(ByteBuffer src, long position) throws IOException;

    /** Makes everything written so far durable ({@code FileChannel.force}); {@code metadata} as there. */
    void force(boolean metadata) throws IOException;

    long size() throws IOException;

    void truncate(long size) throws IOException;
}
