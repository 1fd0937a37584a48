package dev.kvstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The log file being appended to, and how far it is written, forced and applied to the index; and whether it
 * failed. The writer thread appends and forces, the timer forces under {@code INTERVAL}, and the {@link LogSwitch}
 * replaces the file; compaction and status read the positions.
 *
 * <p>Its monitor is held by whatever touches the file or the forced mark outside the group write itself (the
 * timer's forces and mark updates, and the actions the writer runs between groups, such as the switch), so that
 * those never interleave.
 *
 * <p>A failure is fail-stop: after a failed {@code fsync} the state of the page cache is unknown, so nothing is
 * forced on this file again and the store takes no more writes until it is reopened.
 */
final class ActiveLog {

    private final StoreObserver observer;
    private volatile LogChannel channel;
    /** End of the last frame written. */
    private volatile long written;
    /** End of the last frame applied to the index: every frame before it is reflected there. */
    private volatile long applied;
    /** End of the last frame known to be forced. */
    private volatile long forced;
    /** Why the log stopped taking writes, or {@code null}; the first failure wins. */
    private volatile Throwable failure;

    ActiveLog(LogChannel channel, long length, StoreObserver observer) {
        this.channel = channel;
        this.observer = observer;
        this.written = length;
        this.applied = length;
        this.forced = length;
    }

    LogChannel channel() {
        return channel;
    }

    long written() {
        return written;
    }

    long applied() {
        return applied;
    }

    long forced() {
        return forced;
    }

    Throwable failure() {
        return failure;
    }

    /** The log failed: no more writes, and no more forces of this file. Keeps the first cause. */
    void fail(Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
    }

    /** Writes {@code src} at the end of the log in one call. */
    void append(ByteBuffer src) throws IOException {
        int n = src.remaining();
        if (n > 0) {
            channel.writeFully(src, written);
            written += n;
        }
    }

    /** Truncates the log back to {@code length}, where a failed append started. */
    void cutBack(long length) throws IOException {
        channel.truncate(length);
        written = length;
    }

    /** Every frame written so far is applied to the index. */
    void markApplied() {
        applied = written;
    }

    /**
     * Forces what is written; on failure {@link #fail}s the log and returns false. The observer hears of every force.
     */
    boolean force() {
        long target = written;
        long t0 = System.nanoTime();
        boolean ok;
        try {
            channel.force(false);
            forced = target;
            ok = true;
        } catch (IOException e) {
            fail(e);
            ok = false;
        }
        observer.onForce(System.nanoTime() - t0, ok);
        return ok;
    }

    /** Forces everything written, file metadata included, at close. */
    void forceAtClose() throws IOException {
        channel.force(true);
        forced = written;
    }

    /**
     * The log is now {@code next}, whose {@code length} bytes are all forced, whose name is durable and whose
     * forced mark is written; the old file is closed. Only the {@link LogSwitch} calls this.
     */
    void replace(LogChannel next, long length) {
        LogChannel old = channel;
        channel = next;
        written = length;
        applied = length;
        forced = length;
        try {
            old.close();
        } catch (IOException ignored) {
            // it held nothing that is not in the new log
        }
    }
}
