package dev.kvstore.store;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps the {@link ForcedMark} beside the log true, on a timer thread of its own, off the write path: after every
 * force it records the forced length (coalesced: many forces, one update), without a force of its own, which would
 * double the forces of a store under load. What the mark says was already true when it was written, so an older
 * mark left by a power cut only lags. The mark file is forced once every {@link #MARK_FORCE_MILLIS} when it changed,
 * which bounds that lag. Under {@link SyncMode#INTERVAL} the same thread forces the log every sync interval.
 *
 * <p>Its work holds the log's monitor ({@link ActiveLog}), so it never interleaves with an action the writer runs
 * between groups, such as the {@link LogSwitch}.
 */
final class MarkKeeper {

    /** How often the mark file is forced while it changes: what a power cut can make the mark lag by. */
    static final long MARK_FORCE_MILLIS = 1000;

    private final LogChannel markFile;
    private final ActiveLog log;
    private final SyncMode mode;
    private final int maxWrite;
    private final ScheduledExecutorService timer;
    /** Whether an update is queued on the timer; coalesces the updates of many forces into one. */
    private final AtomicBoolean queued = new AtomicBoolean();
    /** What the mark file says, as far as this store knows; -1 while the log switches files. */
    private volatile long marked;
    /** What the mark file says on disk, as of its last force. */
    private long markForced;
    /** Why the last write of the mark failed, or {@code null} when it succeeded. */
    private volatile Throwable failure;

    /**
     * @param maxWrite the most bytes one write call of the writer holds, which the mark records for recovery
     */
    MarkKeeper(LogChannel markFile, ActiveLog log, SyncMode mode, Duration interval, int maxWrite) {
        this.markFile = markFile;
        this.log = log;
        this.mode = mode;
        this.maxWrite = maxWrite;
        this.marked = log.forced();
        this.markForced = log.forced();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kv-wal-timer");
            t.setDaemon(true);
            return t;
        });
        if (mode == SyncMode.INTERVAL) {
            long millis = Math.max(1, interval.toMillis());
            timer.scheduleWithFixedDelay(this::forceIfBehind, millis, millis, TimeUnit.MILLISECONDS);
        }
        timer.scheduleWithFixedDelay(this::forceMark, MARK_FORCE_MILLIS, MARK_FORCE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** What the mark beside the log says, as far as this store knows; -1 while the log switches files. */
    long marked() {
        return marked;
    }

    /** Why the last write of the mark failed, or {@code null} when it succeeded. */
    Throwable failure() {
        return failure;
    }

    /** The mark for the first {@code forced} bytes of {@code file}, as this store writes it. */
    ForcedMark markFor(LogChannel file, long forced) throws IOException {
        return ForcedMark.of(file, forced, mode, maxWrite);
    }

    /** After a force of the log: has the timer bring the mark up to it, once for all forces until it runs. */
    void afterForce() {
        if (queued.compareAndSet(false, true)) {
            try {
                timer.execute(() -> {
                    queued.set(false);
                    update();
                });
            } catch (RejectedExecutionException closing) {
                queued.set(false); // the mark is written at close
            }
        }
    }

    /**
     * The log switch, before the rename: writes and forces the mark of {@code next}, whose first {@code length}
     * bytes are forced. Until {@link #reset} or {@link #restore} the store does not know which file it describes.
     */
    void writeFor(LogChannel next, long length) throws IOException {
        try {
            markFor(next, length).write(markFile);
            failure = null;
        } catch (IOException | RuntimeException e) {
            failure = e;
            throw e;
        }
        marked = -1;
        markForced = -1;
    }

    /** The log switch gave up after {@link #writeFor}: the mark speaks for the old log again. */
    void restore() {
        marked = -1;
        update();
    }

    /** The log switch is done: the mark written by {@link #writeFor} is the log's, and forced. */
    void reset(long length) {
        marked = length;
        markForced = length;
    }

    /** Stops the timer, letting a force or update that runs finish. */
    void stop() {
        // Not shutdownNow: interrupting a thread inside FileChannel.force closes the channel.
        timer.shutdown();
        GroupCommitWriter.awaitUninterruptibly(timer);
    }

    /** At close, after the log's last force: the mark of all of it, forced. */
    void writeAtClose() throws IOException {
        markFor(log.channel(), log.forced()).write(markFile);
        marked = log.forced();
        markForced = marked;
    }

    /**
     * Records the forced length beside the log, without forcing the mark file (see the class comment). A failure is
     * kept for health, and the next force tries again: the mark only lags meanwhile, which is safe.
     */
    private void update() {
        synchronized (log) {
            long forced = log.forced();
            if (log.failure() != null || forced == marked) {
                return;
            }
            try {
                markFor(log.channel(), forced).writeUnforced(markFile);
                marked = forced;
                failure = null;
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
        }
    }

    /** Forces the mark file when it changed since its last force. */
    private void forceMark() {
        synchronized (log) {
            long m = marked;
            if (log.failure() != null || m == markForced || m < 0) {
                return;
            }
            try {
                markFile.force(false);
                markForced = m;
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
        }
    }

    /** The periodic force of {@link SyncMode#INTERVAL}; it runs beside the writer thread, which FileChannel allows. */
    private void forceIfBehind() {
        synchronized (log) {
            if (log.failure() != null || log.written() == log.forced()) {
                return;
            }
            try {
                if (log.force()) {
                    afterForce();
                }
            } catch (RuntimeException | Error e) {
                // The observer threw: fail-stop, as on the writer thread.
                log.fail(e);
            }
        }
    }
}
