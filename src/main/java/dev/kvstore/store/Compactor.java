package dev.kvstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Compaction, and the snapshots that share its way of copying the live state. Both run on one thread of their own,
 * one at a time, never on a caller's thread (an interrupted caller inside {@code FileChannel} I/O would close the
 * log for everyone).
 *
 * <p><b>Copying the live state while writes go on.</b> Let P be the log's applied position: every frame before it
 * is reflected in the index. A REVISION frame records the revision counter as of P or later; a pass over the index
 * then writes a SET frame for every live entry, with its revisions (a BATCH of one SET_LEASED for a key with a
 * lease). It is not a
 * picture of one moment, but every value in it is the one at P or a later one. Then the log's frames from P on are
 * copied after it. Replaying the copy therefore ends in exactly the state the log ends in: every key written after P
 * is set (or deleted) again by its frames, in log order, after whatever value the pass saw; every other key has its
 * value at P. Deletes are not resurrected: a key deleted before P is not in the index, one deleted after P has its
 * DELETE frame in the copied part. Memory stays constant: frames go through one buffer.
 *
 * <p><b>Keeping the change feed's history.</b> The {@link History} holds the changes after its floor F, each with
 * the entry before it; a replay of the copy must derive exactly those again, so the copy holds the state at exactly
 * F, then every frame after F. The copy therefore does not start at P but at the first frame after F (F's frames
 * lie before P), and between the pass and those frames it writes, for every key that changed after F up to the last
 * revision the pass can have seen, that key's entry at F (the entry before its first change after F: a SET, or a
 * DELETE when it had none), then a HISTORY frame naming F. After the pass and these <i>priors</i> every key holds
 * exactly its value at F: a key the pass saw unchanged since F has it already, and every other key is set back by
 * its prior. The frames after F then replay every change after F, with its exact entry before, and end in exactly
 * the state the log ends in, as before. The history is pinned meanwhile (it drops nothing), and when the new log
 * takes over, the offsets of its events move with their frames. So a compacted log keeps the history the store
 * held, and its cost on disk is the frames of the retained events plus the priors.
 *
 * <p>Leases and idempotency records follow the entries, by the same argument. Each live lease is a LEASE_GRANT frame
 * of its own revision; a lease granted or ended after P is granted or ended again by the copied part (replay takes
 * a grant it has, and an end of a lease it never saw, which still deletes the keys attached to it). The records are
 * copied as one consistent set, taken at one moment after P, with the floor and the horizon that go with it
 * ({@link IdempotencyRecords}): the copied part then adds only what was added after that moment, and drops what the
 * log dropped.
 *
 * <p><b>Compaction, step by step,</b> in the order that makes a crash at any step recover exactly the acknowledged
 * state:
 * <ol>
 *   <li>Check that the disk has room for the live data plus 10% and {@link #HEADROOM_RESERVE}; refuse otherwise.</li>
 *   <li>Create {@code kvstore.log.compacting} (a leftover from a crash is deleted first, and at every start).</li>
 *   <li>Copy the live state into it as above, forcing it every {@link #INCREMENTAL_FORCE_BYTES}, catching up with
 *       the log until less than {@link #CATCH_UP_BYTES} is left, and force it. Writes and reads go on throughout.</li>
 *   <li>On the writer thread, between two groups (the <i>pause</i>: writes queue up, reads go on): copy the frames
 *       written since, and force the new file again. It now replays to exactly the state of the log.</li>
 *   <li>Force the old log too, and write the forced mark ({@link ForcedMark}) for the new file. With both files
 *       wholly forced, that mark is true of whichever of them a crash leaves under the log's name, so recovery can
 *       always tell the trace of a crash from damage.</li>
 *   <li>Rename {@code kvstore.log.compacting} to {@code kvstore.log}, atomically replacing the old log.</li>
 *   <li>Force the directory. Only after this can a write to the new log be acknowledged.</li>
 *   <li>Switch the writer to the new log and close the old one. Writes resume.</li>
 * </ol>
 * Steps 5 to 8 are the {@link LogSwitch}, in the pause of step 4.
 * A crash before step 6 leaves the old log whole (it holds every acknowledged write) and a partial
 * {@code .compacting} file, which the next start deletes. A crash between 6 and 7 leaves one name or the other,
 * and both files hold every acknowledged write, since nothing was acknowledged in between. After 7, the new log is
 * the log. The new file is always complete and forced before it takes the log's name, so compaction never takes
 * the only copy of the data with it. A failure before step 6 abandons the compaction and leaves the old log in
 * use; a failed force of the old log, or of the directory after the rename, stops writes, as any failed force
 * does.
 *
 * <p><b>Snapshots</b> copy the live state the same way into a file that is unlinked as soon as it is created, then
 * copy the log up to its applied position once more: that position is the snapshot's moment, after every write
 * acknowledged before the request. A snapshot keeps only the history published while it is taken (its floor is the
 * last revision when it starts, and its copy of the log starts there, at P): a backup should not carry the
 * retention's worth of old changes; a store restored from it starts its history there.
 */
final class Compactor implements AutoCloseable {

    /** Catching up stops once less than this is left to copy; the rest is copied during the pause. */
    static final long CATCH_UP_BYTES = 256 * 1024;
    /** Beyond the live bytes and 10% for writes meanwhile, this much must stay free. */
    static final long HEADROOM_RESERVE = 16L << 20;
    /** After an automatic compaction failed, the next automatic one waits this long. */
    static final Duration AUTO_RETRY_DELAY = Duration.ofMinutes(1);
    /**
     * The new log is forced every this many bytes while it is written, like Redis's
     * {@code aof-rewrite-incremental-fsync}: the disk then never holds a large backlog of dirty pages that the log's
     * own forces would have to wait behind.
     */
    static final long INCREMENTAL_FORCE_BYTES = 4L << 20;
    private static final int MAX_CATCH_UP_ROUNDS = 16;
    private static final int BUFFER_BYTES = 1 << 20;
    private static final int ENTRIES_BETWEEN_CHECKS = 4096;

    private final DataDirectory dir;
    private final LogFormat format;
    private final GroupCommitWriter writer;
    private final ActiveLog log;
    private final LogSwitch logSwitch;
    private final KeyIndex index;
    private final History history;
    private final AppliedState state;
    private final CompactionPolicy policy;
    private final StoreObserver observer;
    private final Clock clock;
    private final ExecutorService thread;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile CompactionResult last;
    private volatile long autoNotBefore = System.nanoTime();
    private volatile boolean closed;

    Compactor(DataDirectory dir, LogFormat format, GroupCommitWriter writer, ActiveLog log, LogSwitch logSwitch,
              AppliedState state, History history, CompactionPolicy policy, StoreObserver observer, Clock clock) {
        this.dir = dir;
        this.format = format;
        this.writer = writer;
        this.log = log;
        this.logSwitch = logSwitch;
        this.index = state.index;
        this.state = state;
        this.history = history;
        this.policy = policy;
        this.observer = observer;
        this.clock = clock;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "kv-compactor");
            t.setDaemon(true);
            return t;
        });
    }

    CompactionStats stats() {
        return new CompactionStats(running.get(), completed.get(), failed.get(), last);
    }

    /**
     * Starts a compaction in the background, on its own thread, when one is due; called after each write, and once
     * when the store opens.
     */
    void maybeStartAuto() {
        if (closed || !policy.isDue(log.written(), keptBytes())
                || System.nanoTime() - autoNotBefore < 0 || !running.compareAndSet(false, true)) {
            return;
        }
        try {
            thread.execute(() -> {
                try {
                    compactNow(CompactionResult.Trigger.AUTO);
                } catch (IOException | RuntimeException e) {
                    // recorded in the result, which the observer reports
                } finally {
                    running.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            running.set(false);
        }
    }

    /**
     * Compacts now and returns the result once the new log is in place.
     *
     * @throws CompactionRunningException  when one is running already
     * @throws InsufficientSpaceException  when the disk lacks the room for it
     * @throws StoreUnavailableException   when the store is closed or read-only after a failure of the log
     * @throws IOException                 when it failed; the old log stays in use
     */
    CompactionResult compact() throws IOException {
        if (!running.compareAndSet(false, true)) {
            throw new CompactionRunningException();
        }
        try {
            return onOwnThread(() -> compactNow(CompactionResult.Trigger.MANUAL));
        } finally {
            running.set(false);
        }
    }

    /** Writes a snapshot (waiting for a running compaction to end first) and returns it, open for reading. */
    Snapshot snapshot() throws IOException {
        return onOwnThread(this::writeSnapshot);
    }

    /** Stops: a compaction in its copying phase gives up (its file is deleted); one in its pause finishes. */
    @Override
    public void close() {
        closed = true;
        thread.shutdown();
        GroupCommitWriter.awaitUninterruptibly(thread);
    }

    private <T> T onOwnThread(Callable<T> task) throws IOException {
        Future<T> future;
        try {
            future = thread.submit(task);
        } catch (RejectedExecutionException e) {
            throw new StoreUnavailableException("the store is closed", null);
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return future.get();
                } catch (InterruptedException e) {
                    // The work goes on regardless, and its files are the store's: wait for it.
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw GroupCommitWriter.rethrow(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private CompactionResult compactNow(CompactionResult.Trigger trigger) throws IOException {
        Instant startedAt = clock.instant();
        long t0 = System.nanoTime();
        long before = log.written();
        try {
            writer.checkWritable();
            checkHeadroom("compaction");
            Rewrite r = rewrite();
            return record(new CompactionResult(trigger, CompactionResult.Outcome.COMPLETED, startedAt, before,
                    r.length, keptBytes(), r.entries, Duration.ofNanos(System.nanoTime() - t0),
                    Duration.ofNanos(r.pauseNanos), null));
        } catch (IOException | RuntimeException e) {
            if (trigger == CompactionResult.Trigger.AUTO) {
                autoNotBefore = System.nanoTime() + AUTO_RETRY_DELAY.toNanos();
            }
            record(new CompactionResult(trigger, CompactionResult.Outcome.FAILED, startedAt, before,
                    log.written(), keptBytes(), 0, Duration.ofNanos(System.nanoTime() - t0),
                    Duration.ZERO, describe(e)));
            throw e;
        }
    }

    private CompactionResult record(CompactionResult result) {
        (result.completed() ? completed : failed).incrementAndGet();
        last = result;
        observer.onCompaction(result);
        return result;
    }

    private static String describe(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * About what a compacted log holds: the state (with the HISTORY frame after it, which a replica's snapshot does
     * not have), and the frames of the history it keeps; not the priors, which only keys changed since the history's
     * floor have.
     */
    long keptBytes() {
        long state = this.state.compactedBytes();
        return state + (state > 0 ? Frame.OVERHEAD_V2 : 0) + history.logBytes();
    }

    private void checkHeadroom(String what) throws IOException {
        long live = keptBytes();
        long needed = live + live / 10 + HEADROOM_RESERVE;
        long usable = dir.storage().usableSpace(dir.log().getParent());
        if (usable < needed) {
            throw new InsufficientSpaceException(what, needed, usable);
        }
    }

    /** The new log's length and entries, and how long writes were held back. */
    private record Rewrite(long length, long entries, long pauseNanos) {
    }

    private Rewrite rewrite() throws IOException {
        LogStorage storage = dir.storage();
        storage.delete(dir.compacting());
        LogChannel out = storage.open(dir.compacting(), true);
        long[] pause = {0};
        LiveCopy copy = new LiveCopy(out, null, true, true);
        try {
            copy.liveState();
            copy.flush();
            out.force(true);
            writer.runExclusive(() -> {
                long p0 = System.nanoTime();
                takeOver(copy);
                pause[0] = System.nanoTime() - p0;
            });
            return new Rewrite(copy.length(), copy.entries, pause[0]);
        } finally {
            copy.unpin();
            if (log.channel() != out) {
                closeQuietly(out);
                deleteQuietly(dir.compacting());
            }
        }
    }

    /** Step 4 of the class comment, then the switch; runs on the writer thread, between groups. */
    private void takeOver(LiveCopy copy) throws IOException {
        copy.copyLog(log.written());
        copy.flush();
        copy.target.force(true);
        try {
            logSwitch.switchTo(copy.target, copy.length());
        } finally {
            if (log.channel() == copy.target) {
                // The history's frames now lie in the new log, from where its copy of them began.
                history.rebase(copy.pin.logOffset(), copy.historyStart);
            }
        }
    }

    private Snapshot writeSnapshot() throws IOException {
        if (closed) {
            throw new StoreUnavailableException("the store is closed", null);
        }
        checkHeadroom("a snapshot");
        Instant takenAt = clock.instant();
        LogStorage storage = dir.storage();
        storage.delete(dir.snapshotFile());
        LogChannel out = storage.open(dir.snapshotFile(), true);
        LiveCopy copy = new LiveCopy(out, sha256(), false, false);
        try {
            storage.delete(dir.snapshotFile());
            copy.liveState();
            copy.copyLog(log.applied());
            copy.flush();
            return new Snapshot(out, copy.length(), copy.digest.digest(), takenAt);
        } catch (IOException | RuntimeException | Error e) {
            closeQuietly(out);
            throw e;
        } finally {
            copy.unpin();
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** The live state, copied frame by frame into {@code target} through one buffer (see the class comment). */
    private final class LiveCopy {
        final LogChannel target;
        final MessageDigest digest;
        private final boolean incrementalForce;
        private final ByteBuffer buf = ByteBuffer.allocate(BUFFER_BYTES);
        private long flushed;
        private long forced;
        /** The log is copied from here on. */
        private long logFrom;
        long entries;
        /** The history's floor and where the frames after it start in the log; {@code null} once unpinned. */
        History.Pin pin;
        /** Where the copy of the frames after the history's floor starts in the target. */
        long historyStart;

        /** Whether the copy keeps the whole history (a compaction), or only what is published meanwhile. */
        private final boolean wholeHistory;

        LiveCopy(LogChannel target, MessageDigest digest, boolean incrementalForce, boolean wholeHistory) {
            this.target = target;
            this.digest = digest;
            this.incrementalForce = incrementalForce;
            this.wholeHistory = wholeHistory;
        }

        long length() {
            return flushed + buf.position();
        }

        /**
         * The pass over the index, the priors and the HISTORY frame, then the log from the first frame after the
         * history's floor, until less than {@link #CATCH_UP_BYTES} is left (see the class comment).
         */
        void liveState() throws IOException {
            pin = wholeHistory ? history.pinAll() : history.pinLatest();
            // At or before P: the frames of the history's changes lie after it, and P's frames are in the index.
            logFrom = pin.logOffset();
            // Read after P, so at least the counter at P: the counter never goes back, even when the key that had
            // the highest revision is gone.
            long floor = index.revision();
            if (floor > 0) {
                put(Frame.encodeRevision(format.magic(), floor));
            }
            KeyIndex.forEach(index.snapshot(), (keys, keyAt, keyLen, encoding, bits, text, revision, created, lease) -> {
                if (entries % ENTRIES_BETWEEN_CHECKS == 0 && closed) {
                    throw new StoreUnavailableException("the store is closing", null);
                }
                put(Frame.encodeStoredEntry(format.magic(), keys, keyAt, keyLen, encoding, bits, text, revision,
                        created, lease));
                entries++;
            });
            state.putLeasesAndRecords(format.magic(), floor, this::put);
            priors();
            for (int round = 0; round < MAX_CATCH_UP_ROUNDS; round++) {
                long applied = log.applied();
                if (applied - logFrom <= CATCH_UP_BYTES) {
                    break;
                }
                copyLog(applied);
            }
        }

        /**
         * Sets every key that changed after the history's floor F, up to the last revision the pass can have seen,
         * back to its entry at F, and marks that the state at exactly F ends here.
         */
        private void priors() throws IOException {
            // Read through the index's lock, so after any group whose entries the pass saw: at least their revision.
            long seen = index.list("", null, 1).revision();
            // The writer publishes to the history right after it applies to the index.
            if (!history.awaitPublished(seen, java.util.concurrent.TimeUnit.SECONDS.toNanos(30))) {
                throw new StoreUnavailableException("the change feed did not publish revision " + seen, null);
            }
            long f = pin.floor();
            for (Change prior : history.priors(f, seen)) {
                put(History.priorFrame(format.magic(), prior, f));
            }
            if (length() > 0) {
                put(Frame.encodeHistory(format.magic(), f));
            }
            // (An empty copy starts with changes from revision 0, which replay takes as history without a mark.)
            historyStart = length();
        }

        void unpin() {
            if (pin != null) {
                pin = null;
                history.unpin();
            }
        }

        private void put(byte[] frame) throws IOException {
            if (frame.length > buf.remaining()) {
                flush();
            }
            if (frame.length > buf.capacity()) {
                write(ByteBuffer.wrap(frame));
            } else {
                buf.put(frame);
            }
        }

        /** Copies the log's frames from where the last copy ended up to {@code to}, an applied position. */
        void copyLog(long to) throws IOException {
            flush();
            LogChannel source = log.channel();
            while (logFrom < to) {
                buf.clear().limit((int) Math.min(buf.capacity(), to - logFrom));
                while (buf.hasRemaining()) {
                    if (source.read(buf, logFrom + buf.position()) < 0) {
                        throw new IOException("the log ended at " + (logFrom + buf.position()) + ", before " + to);
                    }
                }
                logFrom += buf.position();
                flush();
            }
        }

        void flush() throws IOException {
            buf.flip();
            write(buf);
            buf.clear();
        }

        private void write(ByteBuffer src) throws IOException {
            int n = src.remaining();
            if (n == 0) {
                return;
            }
            if (digest != null) {
                digest.update(src.duplicate());
            }
            target.writeFully(src, flushed);
            flushed += n;
            if (incrementalForce && flushed - forced >= INCREMENTAL_FORCE_BYTES) {
                target.force(false);
                forced = flushed;
            }
        }
    }

    private static void closeQuietly(LogChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was kept in it
        }
    }

    private void deleteQuietly(java.nio.file.Path file) {
        try {
            dir.storage().delete(file);
        } catch (IOException ignored) {
            // the next start deletes it
        }
    }
}
