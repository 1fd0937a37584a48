package dev.kvstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Appends frames for many threads with group commit. One writer thread takes every write that queued up while the
 * previous group was being written and forced (up to {@link #GROUP_BYTES}), so the group size follows the load
 * with no sleeping. For each group it asks the {@link Sequencer} which writes go into the log (in queue order,
 * which becomes log order), writes their frames in one write call, forces once under {@link SyncMode#ALWAYS},
 * has the sequencer apply the group to the index, and only then acknowledges the callers. So under
 * {@code ALWAYS} no reader sees a write before it is durable, the index changes in log order, and at most one
 * write call is ever unforced, which bounds what a power cut can damage (the {@link ForcedMark} records that bound,
 * {@link #maxWrite}, for recovery).
 *
 * <p><b>Failures.</b> When a write call fails (a full disk, an I/O error), the group's callers get the failure and
 * nothing of the group is applied. If the writer can then cut the file back to where the group started and force
 * that, nothing uncertain is left: the store goes on taking writes, and the next one that succeeds clears the
 * failure. If it cannot, or when a force fails, the writer refuses every later write: after a failed {@code fsync}
 * the state of the page cache is unknown, so the force is never retried on this file. Any other throwable on the
 * writer thread (an observer that throws, the apply step, the compaction trigger, an {@link OutOfMemoryError}) fails
 * the store the same way, fail-stop: the writer thread lives on to refuse the waiting and later callers, and nothing
 * that was not forced is applied.
 *
 * <p>A timer thread forces the log every sync interval under {@code INTERVAL}, and after every force (the writer's or
 * its own) records the forced length in the {@link ForcedMark} beside the log: coalesced, off the write path, so the
 * mark lags by about one force and never delays an acknowledgement. That write is not forced by itself, which would
 * double the forces of a store under load: what it says was already true when it was written, so an older mark left
 * by a power cut only lags. The timer forces the mark file once every {@link #MARK_FORCE_MILLIS} when it changed,
 * which bounds that lag. Only these two threads write the files, never a caller: an interrupted caller inside
 * {@code FileChannel} I/O would close the channel for everyone.
 *
 * <p>{@link #runExclusive} runs an action on the writer thread between two groups, with the timer held off, so that
 * nothing is written meanwhile: compaction uses it to copy the last frames and to switch to the new log
 * ({@link #adopt}).
 */
final class LogWriter {

    private static final int MAX_GROUP = 4096;
    /** How often the mark file is forced while it changes: what a power cut can make the mark lag by. */
    static final long MARK_FORCE_MILLIS = 1000;
    /** A group's frames, all written in one call; a single larger frame is a group of its own. */
    static final int GROUP_BYTES = 1 << 20;

    /**
     * One write waiting for its turn: its frame, as long as it will be written (the sequencer may still stamp it).
     * What the writer thread sets is published to the caller by {@code done}.
     */
    static class Pending {
        final byte[] frame;
        /** Instead of a write: an action to run on the writer thread between groups. */
        final Exclusive action;
        /** Set by the sequencer: whether the frame goes into the log. */
        boolean logged;
        Throwable failure;
        private final Thread waiter;
        private volatile boolean done;

        Pending(byte[] frame) {
            this(frame, null);
        }

        private Pending(byte[] frame, Exclusive action) {
            this.frame = frame;
            this.action = action;
            this.waiter = Thread.currentThread();
        }

        /** Waits, without giving up on interrupts, since the write may still become durable. */
        void await() {
            await(Long.MAX_VALUE);
        }

        /**
         * Waits up to {@code timeoutNanos}, without giving up on interrupts; returns whether the writer answered.
         * When it did not, the write may still be written and applied later: its outcome is unknown.
         */
        boolean await(long timeoutNanos) {
            long deadline = System.nanoTime() + timeoutNanos;
            boolean interrupted = false;
            while (!done) {
                long left = timeoutNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                if (left == Long.MAX_VALUE) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, left);
                }
                interrupted |= Thread.interrupted();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return done;
        }

        /** Answers the caller, once: a later answer (after a failure of the writer itself) is dropped. */
        private void complete(Throwable failure) {
            if (done) {
                return;
            }
            this.failure = failure;
            done = true;
            LockSupport.unpark(waiter);
        }
    }

    /** The store's side of a group: decide each write against the state before it, then apply. */
    interface Sequencer {
        /**
         * In log order, before the group is written: decides the write against the state before it, stamps its frame
         * when it goes into the log, and returns whether it does.
         */
        boolean admit(Pending w);

        /** The group is as durable as the mode promises: apply it to the index, in log order. */
        void apply(List<Pending> group);

        /** The group failed: forget what {@link #admit} assumed. */
        void discard();
    }

    /** Work for the writer thread while no group is in flight and the timer is held off. */
    @FunctionalInterface
    interface Exclusive {
        void run() throws IOException;
    }

    private static final Pending CLOSE = new Pending(new byte[0]);

    private volatile LogChannel channel;
    private final LogChannel markFile;
    private final SyncMode mode;
    private final int maxWrite;
    private final Sequencer sequencer;
    private final StoreObserver observer;
    private final Runnable afterGroup;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final ByteBuffer buffer;
    private final Thread thread;
    private final ScheduledExecutorService timer;
    private volatile long position;
    /** End of the last frame applied to the index: every frame before it is reflected there. */
    private volatile long appliedPosition;
    private volatile long forcedPosition;
    /** What the mark file says, as far as this writer knows. Changed under the monitor. */
    private volatile long markedPosition;
    /** What the mark file says on disk, as of its last force. Changed under the monitor. */
    private long markForcedPosition;
    /** Why the last write of the mark failed, or {@code null} when it succeeded. */
    private volatile Throwable markFailure;
    /** Whether a mark update is queued on the timer; coalesces the updates of many forces into one. */
    private final AtomicBoolean markQueued = new AtomicBoolean();
    private volatile boolean closed;
    private volatile Throwable failure;
    /** Why the last group's write call failed, when it was cut back cleanly; {@code null} once one succeeds. */
    private volatile Throwable appendFailure;
    /** {@link System#nanoTime} when the writer started its current group or action, or 0 while it waits. */
    private volatile long busySince;

    LogWriter(LogChannel channel, LogChannel markFile, long position, SyncMode mode, Duration interval,
              int groupBytes, int maxFrameBytes, Sequencer sequencer, StoreObserver observer, Runnable afterGroup) {
        this.channel = channel;
        this.markFile = markFile;
        this.position = position;
        this.appliedPosition = position;
        this.forcedPosition = position;
        this.markedPosition = position;
        this.markForcedPosition = position;
        this.mode = mode;
        this.buffer = ByteBuffer.allocateDirect(groupBytes);
        this.maxWrite = maxWrite(groupBytes, maxFrameBytes);
        this.sequencer = sequencer;
        this.observer = observer;
        this.afterGroup = afterGroup;
        this.thread = new Thread(this::run, "kv-wal-writer");
        thread.setDaemon(true);
        thread.start();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
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

    /**
     * The most bytes one write call of this writer holds: a group fills at most the buffer, and a frame larger than
     * that goes alone. Under {@code ALWAYS} no more than this is ever unforced.
     */
    static int maxWrite(int groupBytes, int maxFrameBytes) {
        return Math.max(groupBytes, maxFrameBytes);
    }

    /** The forced mark for the first {@code forced} bytes of {@code log}, written by this writer. */
    ForcedMark markFor(LogChannel log, long forced) throws IOException {
        return ForcedMark.of(log, forced, mode, maxWrite);
    }

    /** Queues {@code w}; the caller then {@link Pending#await}s it. */
    void submit(Pending w) {
        checkWritable();
        queue.add(w);
        // The writer sets closed before its last drain, so a write queued after that drain is taken back here.
        if ((closed || failure != null) && queue.remove(w)) {
            checkWritable();
        }
    }

    void checkWritable() {
        Throwable f = failure;
        if (f != null) {
            throw new StoreUnavailableException(failureMessage(f), f);
        }
        if (closed) {
            throw new StoreUnavailableException("the store is closed", null);
        }
    }

    /** End of the last frame written. */
    long position() {
        return position;
    }

    /** End of the last frame applied to the index; no frame before it is still on its way there. */
    long appliedPosition() {
        return appliedPosition;
    }

    /** The log file the writer appends to now. */
    LogChannel channel() {
        return channel;
    }

    /** What the forced mark beside the log says, as far as this writer knows. */
    long markedPosition() {
        return markedPosition;
    }

    /** Why the last write of the forced mark failed, or {@code null} when it succeeded. */
    Throwable markFailure() {
        return markFailure;
    }

    /** Why the last group could not be written (it was cut back cleanly), or {@code null}. */
    Throwable appendFailure() {
        return appendFailure;
    }

    /** Since when, in {@link System#nanoTime}, the writer has been busy with one group or action, or 0. */
    long busySince() {
        return busySince;
    }

    /**
     * Runs {@code action} on the writer thread once the groups before it are done, holding every write queued after
     * it until it returns. Throws what the action threw, or {@link StoreUnavailableException} when the log no longer
     * takes writes.
     */
    void runExclusive(Exclusive action) throws IOException {
        Pending p = new Pending(new byte[0], action);
        submit(p);
        p.await();
        if (p.failure != null) {
            throw rethrow(p.failure);
        }
    }

    /**
     * A failure that happened on another thread, rethrown on this one: unchecked ones as they are, an
     * {@link IOException} returned for the caller to throw.
     */
    static IOException rethrow(Throwable failure) {
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return failure instanceof IOException e ? e : new IOException(failure);
    }

    /** From an exclusive action: forces the whole log, or fails the writer as any failed force does. */
    void forceAll() throws IOException {
        if (forcedPosition != position && !force()) {
            Throwable f = failure;
            throw f instanceof IOException e ? e : new IOException(f);
        }
    }

    /**
     * From an exclusive action: records in the forced mark that the first {@code length} bytes of {@code next}, the
     * file about to become the log, are forced.
     */
    void markForced(LogChannel next, long length) throws IOException {
        try {
            markFor(next, length).write(markFile);
            markFailure = null;
        } catch (IOException | RuntimeException e) {
            markFailure = e;
            throw e;
        }
        markedPosition = -1;
        markForcedPosition = -1;
    }

    /** From an exclusive action that gave up after {@link #markForced}: the mark speaks for this log again. */
    void remark() {
        markedPosition = -1;
        updateMark();
    }

    /**
     * From an exclusive action: the log is now {@code next}, whose {@code length} bytes are all forced, whose name is
     * durable and whose forced mark is written. The old channel is closed.
     */
    void adopt(LogChannel next, long length) {
        LogChannel old = channel;
        channel = next;
        position = length;
        appliedPosition = length;
        forcedPosition = length;
        markedPosition = length;
        markForcedPosition = length;
        try {
            old.close();
        } catch (IOException ignored) {
            // it held nothing that is not in the new log
        }
    }

    /** From an exclusive action: the log failed; no more writes are taken. */
    void failWith(Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
    }

    /** Why the log stopped taking writes, or {@code null}. */
    Throwable failure() {
        return failure;
    }

    /**
     * Writes what is queued, forces and marks the log forced (unless a force already failed), and stops the writer
     * thread; does not close the files.
     */
    void close() throws IOException {
        if (closed) {
            return;
        }
        queue.add(CLOSE);
        joinUninterruptibly();
        // Not shutdownNow: interrupting a thread inside FileChannel.force closes the channel.
        timer.shutdown();
        awaitUninterruptibly(timer);
        if (failure == null) {
            channel.force(true);
            forcedPosition = position;
            markFor(channel, position).write(markFile);
            markedPosition = position;
            markForcedPosition = position;
        }
    }

    /** After a force: has the timer bring the mark up to the forced position, once for all forces until it runs. */
    private void requestMark() {
        if (markQueued.compareAndSet(false, true)) {
            try {
                timer.execute(() -> {
                    markQueued.set(false);
                    updateMark();
                });
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                markQueued.set(false); // close() writes the last mark
            }
        }
    }

    /**
     * Records the forced position beside the log, for recovery; runs on the timer, off the write path, and does not
     * force the mark file (see the class comment). A failure is kept for health and the next force tries again: the
     * mark only lags meanwhile, which is safe.
     */
    private synchronized void updateMark() {
        long forced = forcedPosition;
        if (failure != null || forced == markedPosition) {
            return;
        }
        try {
            markFor(channel, forced).writeUnforced(markFile);
            markedPosition = forced;
            markFailure = null;
        } catch (IOException | RuntimeException e) {
            markFailure = e;
        }
    }

    /** Forces the mark file when it changed since its last force; runs on the timer. */
    private synchronized void forceMark() {
        long marked = markedPosition;
        if (failure != null || marked == markForcedPosition || marked < 0) {
            return;
        }
        try {
            markFile.force(false);
            markForcedPosition = marked;
        } catch (IOException | RuntimeException e) {
            markFailure = e;
        }
    }

    private void run() {
        List<Pending> group = new ArrayList<>();
        Pending next = null;
        while (true) {
            Pending first = next != null ? next : takeUninterruptibly();
            next = null;
            if (first == CLOSE) {
                break;
            }
            busySince = System.nanoTime() | 1;
            try {
                if (first.action != null) {
                    runAction(first);
                } else {
                    group.add(first);
                    next = fill(group, first.frame.length);
                    commit(group);
                }
            } catch (Throwable t) {
                failWriter(t, first, group);
            } finally {
                group.clear();
                busySince = 0;
            }
            if (next == CLOSE) {
                break;
            }
        }
        closed = true;
        List<Pending> rest = new ArrayList<>();
        queue.drainTo(rest);
        refuseClosed(rest);
    }

    /**
     * A throwable escaped a group or an action: the store fails as after a failed force. Every caller of the group not
     * answered yet gets the failure; nothing of it is applied, since the sequencer forgets what it admitted (a group
     * whose apply step itself failed was forced before it, so what it did apply is durable).
     */
    private void failWriter(Throwable t, Pending first, List<Pending> group) {
        if (failure == null) {
            failure = t;
        }
        try {
            sequencer.discard();
        } finally {
            first.complete(failure);
            completeAll(group, failure);
        }
    }

    /**
     * Adds queued writes to {@code group} while their frames fit in the buffer with the ones already in it, so that
     * the group goes out in one write call. Returns the write that did not fit (or {@code CLOSE}), if any, which
     * starts the next group.
     */
    private Pending fill(List<Pending> group, int bytes) {
        while (group.size() < MAX_GROUP) {
            Pending w = queue.peek();
            if (w == null) {
                return null;
            }
            if (w == CLOSE || w.action != null || bytes + w.frame.length > buffer.capacity()) {
                return queue.poll();
            }
            group.add(queue.poll());
            bytes += w.frame.length;
        }
        return null;
    }

    /**
     * Runs an exclusive action, holding off the timer's forces and mark updates. An exception is the action's
     * failure (compaction gives up and the old log stays in use); an {@link Error} fails the store, since the action
     * may have stopped between two of its steps.
     */
    private void runAction(Pending p) {
        Throwable f = failure;
        if (f != null) {
            p.complete(new StoreUnavailableException(failureMessage(f), f));
            return;
        }
        try {
            synchronized (this) {
                p.action.run();
            }
            p.complete(null);
        } catch (IOException | RuntimeException e) {
            p.complete(e);
        }
    }

    private static void refuseClosed(List<Pending> writes) {
        for (Pending w : writes) {
            if (w != CLOSE) {
                w.complete(new StoreUnavailableException("the store is closed", null));
            }
        }
    }

    private void commit(List<Pending> group) {
        Throwable failed = failure;
        if (failed != null) {
            completeAll(group, failed);
            return;
        }
        long start = position;
        ByteBuffer out = encode(group);
        int logged = out.remaining() == 0 ? 0 : countLogged(group);
        try {
            write(out);
        } catch (IOException e) {
            appendFailed(e, start, group);
            return;
        }
        if (logged > 0) {
            appendFailure = null;
            observer.onBatch(logged, (int) (position - start));
            // Under INTERVAL the periodic force may have failed meanwhile: then nothing more is acknowledged.
            boolean durable = mode == SyncMode.ALWAYS ? force() : failure == null;
            if (!durable) {
                fail(failure, group);
                return;
            }
        }
        sequencer.apply(group);
        appliedPosition = position;
        completeAll(group, null);
        afterGroup.run();
    }

    /**
     * The group's write call failed. Cut the file back to where the group started and force that: then nothing of
     * the group can come back after a crash, nothing uncertain is left, and the store keeps taking writes. If either
     * step fails, the state of the file is unknown, and the store stops taking writes.
     */
    private void appendFailed(IOException e, long start, List<Pending> group) {
        sequencer.discard();
        try {
            channel.truncate(start);
            position = start;
        } catch (IOException | RuntimeException truncateFailed) {
            e.addSuppressed(truncateFailed);
            // Recovery cuts whatever is left as a torn tail: nothing is written after it in this process.
            fail(e, group);
            return;
        }
        if (!force()) {
            fail(failure, group);
            return;
        }
        appendFailure = e;
        StoreUnavailableException refused = new StoreUnavailableException(appendFailureMessage(e), e);
        completeAll(group, refused);
    }

    /** The frames of the group's admitted writes, in order, as one buffer: the group is one write call. */
    private ByteBuffer encode(List<Pending> group) {
        if (group.size() == 1 && group.get(0).frame.length > buffer.capacity()) {
            Pending only = group.get(0);
            only.logged = sequencer.admit(only);
            return only.logged ? ByteBuffer.wrap(only.frame) : ByteBuffer.allocate(0);
        }
        buffer.clear();
        for (Pending w : group) {
            w.logged = sequencer.admit(w);
            if (w.logged) {
                buffer.put(w.frame);
            }
        }
        return buffer.flip();
    }

    private static int countLogged(List<Pending> group) {
        int n = 0;
        for (Pending w : group) {
            if (w.logged) {
                n++;
            }
        }
        return n;
    }

    /** Writes {@code src} at the end of the log in one call. */
    private void write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        if (n > 0) {
            channel.writeFully(src, position);
            position += n;
        }
    }

    /** Forces the log once; on failure marks the writer failed and returns false. */
    private boolean force() {
        long target = position;
        long t0 = System.nanoTime();
        boolean forced;
        IOException failed = null;
        try {
            channel.force(false);
            forced = true;
        } catch (IOException e) {
            failed = e;
            forced = false;
        }
        if (forced) {
            forcedPosition = target;
            requestMark();
        } else {
            failure = failed;
        }
        observer.onForce(System.nanoTime() - t0, forced);
        return forced;
    }

    /** The periodic force of {@link SyncMode#INTERVAL}; it runs beside the writer thread, which FileChannel allows. */
    private synchronized void forceIfBehind() {
        if (failure == null && !closed && position != forcedPosition) {
            try {
                force();
            } catch (RuntimeException | Error e) {
                // The observer threw: fail-stop, as on the writer thread.
                failWith(e);
            }
        }
    }

    private void fail(Throwable cause, List<Pending> group) {
        if (failure == null) {
            failure = cause;
        }
        sequencer.discard();
        completeAll(group, failure);
    }

    private static void completeAll(List<Pending> group, Throwable failure) {
        for (Pending w : group) {
            w.complete(failure);
        }
    }

    static String failureMessage(Throwable f) {
        return "the write-ahead log failed (" + describe(f) + "); the store is read-only until it is restarted";
    }

    static String appendFailureMessage(Throwable f) {
        return "the write could not be appended to the log (" + describe(f) + "); it was cut back off the log, so"
                + " nothing of it was written or applied, and the store takes writes again as soon as the disk does";
    }

    private static String describe(Throwable f) {
        return f.getMessage() == null ? f.getClass().getSimpleName() : f.getClass().getSimpleName() + ": " + f.getMessage();
    }

    private Pending takeUninterruptibly() {
        while (true) {
            try {
                return queue.take();
            } catch (InterruptedException e) {
                // Only close() stops the writer: dropping queued writes would leave callers waiting forever.
            }
        }
    }

    /** Waits for {@code executor} to terminate, keeping an interrupt for afterwards. */
    static void awaitUninterruptibly(java.util.concurrent.ExecutorService executor) {
        boolean interrupted = false;
        while (!executor.isTerminated()) {
            try {
                executor.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void joinUninterruptibly() {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
