package dev.kvstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Group commit: one writer thread orders the commands of many callers, writes, forces and publishes them. It takes
 * every command that queued up while the previous group was being written and forced (up to the buffer's bytes), so
 * the group size follows the load with no sleeping. For each group, in queue order (which becomes log order), the
 * {@link Stage} decides each command and hands back its frame; the writer writes the frames in one write call,
 * forces once under {@link SyncMode#ALWAYS}, has the stage publish the group (apply it to the index), and only then
 * answers the callers. So under {@code ALWAYS} no reader sees a write before it is durable, the index changes in log
 * order, and at most one write call is ever unforced, which bounds what a power cut can damage (the
 * {@link ForcedMark} records that bound, {@link #maxWrite}, for recovery). The writer decides nothing itself.
 *
 * <p><b>Failures.</b> When a write call fails (a full disk, an I/O error), the group's callers get the failure and
 * nothing of the group is published. If the writer can then cut the file back to where the group started and force
 * that, nothing uncertain is left: the store goes on taking writes, and the next one that succeeds clears the
 * failure. If it cannot, or when a force fails, the log fails ({@link ActiveLog#fail}) and every later write is
 * refused. Any other throwable on the writer thread (an observer that throws, the publish step, an
 * {@link OutOfMemoryError}) fails the log the same way, fail-stop: the writer thread lives on to refuse the waiting
 * and later callers, and nothing that was not forced is published.
 *
 * <p>Only the writer thread and the {@link MarkKeeper}'s timer write the files, never a caller: an interrupted caller
 * inside {@code FileChannel} I/O would close the channel for everyone. {@link #runExclusive} runs an action on the
 * writer thread between two groups, holding the log's monitor so that the timer does nothing meanwhile: compaction
 * copies the last frames and switches files that way ({@link LogSwitch}).
 */
final class GroupCommitWriter {

    private static final int MAX_GROUP = 4096;
    /**
     * Under {@code ALWAYS}, how long at most the writer waits for the callers of the last group to come back before
     * it starts the next one, as a share of the last force's time and in absolute terms. Callers answered together
     * come back a few tens of microseconds apart; without the wait the first of them went alone into a force, the
     * rest into the next, and groups stayed at half the callers (4.8 to 7 writes per force at 8 threads).
     */
    private static final int GATHER_SHARE_OF_FORCE = 4;
    private static final long MAX_GATHER_NANOS = 300_000;
    /** How often a caller checks for its answer before it parks: a group under {@code NONE} takes microseconds. */
    private static final int SPINS_BEFORE_PARK = 64;
    /** A group's frames, all written in one call; a single larger frame is a group of its own. */
    static final int GROUP_BYTES = 1 << 20;

    /** The state machine's side of a group, called on the writer thread only. */
    interface Stage {
        /**
         * In log order, before the group is written: decides {@code p} against the state before it (the index plus
         * the group's earlier decisions) and returns its frame, or {@code null} when it writes nothing.
         */
        byte[] decide(Pending p);

        /** The frames of {@code written} are as durable as the mode promises: apply them, in log order. */
        void publish(List<Pending> written);

        /** The group failed: forget what {@link #decide} assumed. */
        void discard();
    }

    /** Work for the writer thread while no group is in flight and the timer is held off. */
    @FunctionalInterface
    interface Exclusive {
        void run() throws IOException;
    }

    /**
     * One command waiting for its turn, or an exclusive action. What the writer thread sets is published to the
     * caller by {@code done}.
     */
    static final class Pending {
        final Command command;
        /** Its values' stored forms, made on the caller's thread. */
        final StateMachine.Prepared prepared;
        /** Bytes of its frame if it writes one: what it takes of a group's buffer. */
        final int frameBytes;
        /** Instead of a command: an action to run on the writer thread between groups. */
        final Exclusive action;
        /** Set by the stage. */
        Decision decision;
        /** Whether its frame went into the log. */
        boolean logged;
        Throwable failure;
        private final Thread waiter;
        private volatile boolean done;

        /** A command whose values' stored forms the state machine makes when it decides (tests use it). */
        Pending(Command command, int frameBytes) {
            this(command, frameBytes, StateMachine.Prepared.NONE, null);
        }

        Pending(Command command, int frameBytes, StateMachine.Prepared prepared) {
            this(command, frameBytes, prepared, null);
        }

        private Pending(Command command, int frameBytes, StateMachine.Prepared prepared, Exclusive action) {
            this.command = command;
            this.prepared = prepared;
            this.frameBytes = frameBytes;
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
            for (int i = 0; i < SPINS_BEFORE_PARK && !done; i++) {
                Thread.onSpinWait();
            }
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

    private static final Pending CLOSE = new Pending(null, 0, StateMachine.Prepared.NONE);

    private final ActiveLog log;
    private final MarkKeeper marks;
    private final SyncMode mode;
    private final Stage stage;
    private final StoreObserver observer;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final ByteBuffer buffer;
    private final Thread thread;
    private volatile boolean closed;
    /** Why the last group's write call failed, when it was cut back cleanly; {@code null} once one succeeds. */
    private volatile Throwable appendFailure;
    /** {@link System#nanoTime} when the writer started its current group or action, or 0 while it waits. */
    private volatile long busySince;
    /** Writes in the last group, and how long its force took: what {@link #gather} expects back, and for how long. */
    private int lastGroupWrites;
    private long lastForceNanos;

    GroupCommitWriter(ActiveLog log, MarkKeeper marks, SyncMode mode, int groupBytes, Stage stage,
                      StoreObserver observer) {
        this.log = log;
        this.marks = marks;
        this.mode = mode;
        this.buffer = ByteBuffer.allocateDirect(groupBytes);
        this.stage = stage;
        this.observer = observer;
        this.thread = new Thread(this::run, "kv-wal-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * The most bytes one write call of a writer with {@code groupBytes} holds: a group fills at most the buffer, and
     * a frame larger than that goes alone. Under {@code ALWAYS} no more than this is ever unforced.
     */
    static int maxWrite(int groupBytes, int maxFrameBytes) {
        return Math.max(groupBytes, maxFrameBytes);
    }

    /** Queues {@code p}; the caller then {@link Pending#await}s it. */
    void submit(Pending p) {
        checkWritable();
        queue.add(p);
        // The writer sets closed before its last drain, so a write queued after that drain is taken back here.
        if ((closed || log.failure() != null) && queue.remove(p)) {
            checkWritable();
        }
    }

    void checkWritable() {
        Throwable f = log.failure();
        if (f != null) {
            throw new StoreUnavailableException(failureMessage(f), f);
        }
        if (closed) {
            throw new StoreUnavailableException("the store is closed", null);
        }
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
        Pending p = new Pending(null, 0, StateMachine.Prepared.NONE, action);
        submit(p);
        p.await();
        if (p.failure != null) {
            throw rethrow(p.failure);
        }
    }

    /**
     * Writes what is queued, stops the writer thread and the timer, then forces the log and marks it forced (unless
     * the log failed); does not close the files.
     */
    void close() throws IOException {
        if (closed) {
            return;
        }
        queue.add(CLOSE);
        Threads.joinUninterruptibly(thread);
        marks.stop();
        if (log.failure() == null) {
            log.forceAtClose();
            marks.writeAtClose();
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
                    gather();
                    next = fill(group, first.frameBytes);
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
        for (Pending p : rest) {
            if (p != CLOSE) {
                p.complete(new StoreUnavailableException("the store is closed", null));
            }
        }
    }

    /**
     * A throwable escaped a group or an action: the log fails as after a failed force. Every caller of the group not
     * answered yet gets the failure; nothing of it is published, since the stage forgets what it decided (a group
     * whose publish step itself failed was forced before it, so what it did apply is durable).
     */
    private void failWriter(Throwable t, Pending first, List<Pending> group) {
        log.fail(t);
        try {
            stage.discard();
        } finally {
            first.complete(log.failure());
            completeAll(group, log.failure());
        }
    }

    /**
     * Under {@code ALWAYS}, before a group is closed: waits, briefly, until as many commands are queued as the last
     * group had callers, since those callers are on their way back (a force is worth sharing). Yields rather than
     * spins hard, so that the callers get the cores. Bounded by a quarter of the last force's time, so a fast disk
     * is not slowed down, and by {@link #MAX_GATHER_NANOS}.
     */
    private void gather() {
        if (mode != SyncMode.ALWAYS || lastGroupWrites < 2) {
            return;
        }
        long deadline = System.nanoTime() + Math.min(MAX_GATHER_NANOS, lastForceNanos / GATHER_SHARE_OF_FORCE);
        int expected = Math.min(lastGroupWrites, MAX_GROUP) - 1;
        while (queue.size() < expected && System.nanoTime() - deadline < 0) {
            Thread.yield();
        }
    }

    /**
     * Adds queued commands to {@code group} while their frames fit in the buffer with the ones already in it, so that
     * the group goes out in one write call. Returns the one that did not fit (or {@code CLOSE}, or an action), if
     * any, which starts the next group.
     */
    private Pending fill(List<Pending> group, int bytes) {
        while (group.size() < MAX_GROUP) {
            Pending p = queue.peek();
            if (p == null) {
                return null;
            }
            if (p == CLOSE || p.action != null || bytes + p.frameBytes > buffer.capacity()) {
                return queue.poll();
            }
            group.add(queue.poll());
            bytes += p.frameBytes;
        }
        return null;
    }

    /**
     * Runs an exclusive action, holding off the timer's forces and mark updates. An exception is the action's
     * failure (compaction gives up and the old log stays in use); an {@link Error} fails the log, since the action
     * may have stopped between two of its steps.
     */
    private void runAction(Pending p) {
        Throwable f = log.failure();
        if (f != null) {
            p.complete(new StoreUnavailableException(failureMessage(f), f));
            return;
        }
        try {
            synchronized (log) {
                p.action.run();
            }
            p.complete(null);
        } catch (IOException | RuntimeException e) {
            p.complete(e);
        }
    }

    private void commit(List<Pending> group) {
        Throwable failed = log.failure();
        if (failed != null) {
            completeAll(group, failed);
            return;
        }
        long start = log.written();
        List<Pending> written = new ArrayList<>(group.size());
        ByteBuffer out = frames(group, written);
        try {
            log.append(out);
        } catch (IOException e) {
            appendFailed(e, start, group);
            return;
        }
        lastGroupWrites = group.size();
        if (!written.isEmpty()) {
            appendFailure = null;
            observer.onBatch(written.size(), (int) (log.written() - start));
            // Under INTERVAL the periodic force may have failed meanwhile: then nothing more is acknowledged.
            long f0 = System.nanoTime();
            boolean durable = mode == SyncMode.ALWAYS ? force() : log.failure() == null;
            lastForceNanos = System.nanoTime() - f0;
            if (!durable) {
                fail(log.failure(), group);
                return;
            }
        }
        stage.publish(written);
        log.markApplied();
        completeAll(group, null);
    }

    /** Has the stage decide each command in order; their frames, as one buffer: the group is one write call. */
    private ByteBuffer frames(List<Pending> group, List<Pending> written) {
        if (group.size() == 1 && group.get(0).frameBytes > buffer.capacity()) {
            Pending only = group.get(0);
            byte[] frame = decide(only, written);
            return frame != null ? ByteBuffer.wrap(frame) : ByteBuffer.allocate(0);
        }
        buffer.clear();
        for (Pending p : group) {
            byte[] frame = decide(p, written);
            if (frame != null) {
                buffer.put(frame);
            }
        }
        return buffer.flip();
    }

    private byte[] decide(Pending p, List<Pending> written) {
        byte[] frame = stage.decide(p);
        p.logged = frame != null;
        if (frame != null) {
            written.add(p);
        }
        return frame;
    }

    /**
     * The group's write call failed. Cut the file back to where the group started and force that: then nothing of
     * the group can come back after a crash, nothing uncertain is left, and the store keeps taking writes. If either
     * step fails, the state of the file is unknown, and the log fails.
     */
    private void appendFailed(IOException e, long start, List<Pending> group) {
        stage.discard();
        try {
            log.cutBack(start);
        } catch (IOException | RuntimeException truncateFailed) {
            e.addSuppressed(truncateFailed);
            // Recovery cuts whatever is left as a torn tail: nothing is written after it in this process.
            fail(e, group);
            return;
        }
        if (!force()) {
            fail(log.failure(), group);
            return;
        }
        appendFailure = e;
        completeAll(group, new StoreUnavailableException(appendFailureMessage(e), e));
    }

    /** Forces the log once and has the mark follow; on failure the log has failed and this returns false. */
    private boolean force() {
        boolean forced = log.force();
        if (forced) {
            marks.afterForce();
        }
        return forced;
    }

    private void fail(Throwable cause, List<Pending> group) {
        log.fail(cause);
        stage.discard();
        completeAll(group, log.failure());
    }

    private static void completeAll(List<Pending> group, Throwable failure) {
        for (Pending p : group) {
            p.complete(failure);
        }
    }

    static String failureMessage(Throwable f) {
        return "the write-ahead log failed (" + describe(f) + "); the store is read-only until it is restarted";
    }

    static String appendFailureMessage(Throwable f) {
        return "the write could not be appended to the log (" + describe(f) + "); it was cut back off the log, so"
                + " nothing of it was written or applied, and the store takes writes again as soon as the disk does";
    }

    static String describe(Throwable f) {
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
}
