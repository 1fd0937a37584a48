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
import java.util.concurrent.locks.LockSupport;

/**
 * Appends frames for many threads with group commit. One writer thread takes every write that queued up while the
 * previous group was being written and forced (up to {@link #GROUP_BYTES}), so the group size follows the load
 * with no sleeping. For each group it asks the {@link Sequencer} which writes go into the log (in queue order,
 * which becomes log order), writes their frames in one write call, forces once under {@link SyncMode#ALWAYS},
 * has the sequencer apply the group to the index, and only then acknowledges the callers. So under
 * {@code ALWAYS} no reader sees a write before it is durable, the index changes in log order, and at most one
 * write call is ever unforced, which bounds what a power cut can damage.
 *
 * <p>When a write or force fails, the group's callers get the failure, nothing of the group is applied, and the
 * writer refuses every later write: after a failed {@code fsync} the state of the page cache is unknown, so the
 * force is never retried on this file. A failed write is cut back off the file on a best-effort basis; recovery
 * cuts anything that remains as a torn tail.
 *
 * <p>A timer thread forces the log every sync interval under {@code INTERVAL}, and about once a second records
 * the forced length in the {@link ForcedMark} beside the log. Only these two threads write the files, never a
 * caller: an interrupted caller inside {@code FileChannel} I/O would close the channel for everyone.
 *
 * <p>{@link #runExclusive} runs an action on the writer thread between two groups, with the timer held off, so that
 * nothing is written meanwhile: compaction uses it to copy the last frames and to switch to the new log
 * ({@link #adopt}).
 */
final class LogWriter {

    private static final int MAX_GROUP = 4096;
    /** How often the forced mark catches up with the forced position: it may lag, it must never lead. */
    private static final long MARK_MILLIS = 1000;
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
            boolean interrupted = false;
            while (!done) {
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        private void complete(Throwable failure) {
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
    private final Sequencer sequencer;
    private final StoreObserver observer;
    private final Runnable afterGroup;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(GROUP_BYTES);
    private final Thread thread;
    private final ScheduledExecutorService timer;
    private volatile long position;
    /** End of the last frame applied to the index: every frame before it is reflected there. */
    private volatile long appliedPosition;
    private volatile long forcedPosition;
    private long markedPosition;
    private boolean markFailed;
    private volatile boolean closed;
    private volatile Throwable failure;

    LogWriter(LogChannel channel, LogChannel markFile, long position, SyncMode mode, Duration interval,
              Sequencer sequencer, StoreObserver observer, Runnable afterGroup) {
        this.channel = channel;
        this.markFile = markFile;
        this.position = position;
        this.appliedPosition = position;
        this.forcedPosition = position;
        this.markedPosition = position;
        this.mode = mode;
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
        timer.scheduleWithFixedDelay(this::updateMark, MARK_MILLIS, MARK_MILLIS, TimeUnit.MILLISECONDS);
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
            ForcedMark.of(next, length).write(markFile);
        } catch (IOException | RuntimeException e) {
            markFailed = true;
            throw e;
        }
        markedPosition = -1;
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
            ForcedMark.of(channel, position).write(markFile);
        }
    }

    /** Records the forced position beside the log, for recovery; runs on the timer, off the write path. */
    private synchronized void updateMark() {
        long forced = forcedPosition;
        if (markFailed || failure != null || forced == markedPosition) {
            return;
        }
        try {
            ForcedMark.of(channel, forced).write(markFile);
            markedPosition = forced;
        } catch (IOException | RuntimeException e) {
            // A mark that stops moving only lags, which is safe; the log itself reports failures of the disk.
            markFailed = true;
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
            if (first.action != null) {
                runAction(first);
                continue;
            }
            group.add(first);
            next = fill(group, first.frame.length);
            commit(group);
            group.clear();
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

    /** Runs an exclusive action, holding off the timer's forces and mark updates. */
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
        } catch (IOException | RuntimeException | Error e) {
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
        int logged = 0;
        try {
            ByteBuffer out = encode(group);
            logged = out.remaining() == 0 ? 0 : countLogged(group);
            write(out);
        } catch (IOException | RuntimeException e) {
            truncateQuietly(start);
            fail(e, group);
            return;
        }
        if (logged > 0) {
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
        try {
            channel.force(false);
            observer.onForce(System.nanoTime() - t0, true);
            forcedPosition = target;
            return true;
        } catch (IOException | RuntimeException e) {
            observer.onForce(System.nanoTime() - t0, false);
            failure = e;
            return false;
        }
    }

    /** The periodic force of {@link SyncMode#INTERVAL}; it runs beside the writer thread, which FileChannel allows. */
    private synchronized void forceIfBehind() {
        if (failure == null && !closed && position != forcedPosition) {
            force();
        }
    }

    private void truncateQuietly(long size) {
        try {
            channel.truncate(size);
            position = size;
        } catch (IOException | RuntimeException e) {
            // Recovery cuts whatever is left as a torn tail: nothing is written after it in this process.
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
