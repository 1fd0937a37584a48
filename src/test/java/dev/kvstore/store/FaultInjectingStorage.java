package dev.kvstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A disk (the real file system by default, or a {@link SimulatedDisk}) behind the engine's I/O seam, with faults a
 * test can switch on: a force held back until released, a failing force, a failing write that may first write a
 * prefix of its bytes (a short write, as when the disk fills up: ENOSPC, or EIO), a failing truncate. Counts forces
 * and writes.
 */
public final class FaultInjectingStorage implements LogStorage {

    private final LogStorage real;

    public FaultInjectingStorage() {
        this(LogStorage.files());
    }

    FaultInjectingStorage(LogStorage disk) {
        this.real = disk;
    }
    final AtomicInteger forces = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger forceCallsAfterFailure = new AtomicInteger();
    volatile CountDownLatch forceGate;
    volatile CountDownLatch forceEntered;
    volatile IOException failForce;
    volatile IOException failWrite;
    /** With {@link #failWrite}: how many bytes of the failing write reach the file first. */
    volatile int bytesBeforeWriteFailure;
    volatile IOException failTruncate;
    /** When set, writes to the file compaction writes fail with it (a short write of nothing). */
    volatile IOException failCompactingWrites;
    /** When set, the rename of a file fails with it (before anything is renamed). */
    volatile IOException failMove;
    /** When set, forcing a directory fails with it. */
    volatile IOException failDirectoryForce;
    /** When set, writes to the forced mark beside the log fail with it. */
    volatile IOException failMarkWrites;
    /** When at least 0, the free space the file system reports. */
    volatile long usableSpace = -1;
    private volatile boolean forceFailed;

    /** Opens a store whose log I/O goes through this disk. */
    public WalKeyValueStore openStore(StoreOptions options) throws IOException {
        return WalKeyValueStore.open(options, this, java.time.Clock.systemUTC());
    }

    /** Every later write fails with {@code message}, as a full disk or an I/O error makes it. */
    public void failWrites(String message) {
        failWrite = new IOException(message);
    }

    /** Every later write of the forced mark fails with {@code message}; {@code null} lets them through again. */
    public void failMarkWrites(String message) {
        failMarkWrites = message == null ? null : new IOException(message);
    }

    /** Writes go through again, as when space is freed. */
    public void allowWrites() {
        failWrite = null;
    }

    /** Every later force fails with {@code message}. */
    public void failForces(String message) {
        failForce = new IOException(message);
    }

    /** From now on, forces wait until {@link #releaseForces()}. */
    public void holdForces() {
        forceEntered = new CountDownLatch(1);
        forceGate = new CountDownLatch(1);
    }

    /** Waits until a force is held by {@link #holdForces()}; returns whether one was within {@code timeout}. */
    public boolean awaitHeldForce(java.time.Duration timeout) throws InterruptedException {
        CountDownLatch entered = forceEntered;
        return entered != null && entered.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    public void releaseForces() {
        CountDownLatch gate = forceGate;
        forceGate = null;
        if (gate != null) {
            gate.countDown();
        }
    }

    /**
     * Faults and counts apply to the log itself and to the file compaction writes to become the log; the forced
     * mark and set-aside copies go straight through.
     */
    @Override
    public LogChannel open(Path file, boolean create) throws IOException {
        LogChannel ch = real.open(file, create);
        String name = file.getFileName().toString();
        if (name.endsWith(DataDirectory.MARK_SUFFIX)) {
            return new MarkChannel(ch);
        }
        return name.equals(StoreOptions.LOG_FILE_NAME) || name.equals((StoreOptions.LOG_FILE_NAME + DataDirectory.COMPACTING_SUFFIX))
                ? new Channel(ch, name.equals((StoreOptions.LOG_FILE_NAME + DataDirectory.COMPACTING_SUFFIX))) : ch;
    }

    @Override
    public LogChannel openReadOnly(Path file) throws IOException {
        return real.openReadOnly(file);
    }

    @Override
    public java.io.Closeable lock(Path lockFile) throws IOException {
        return real.lock(lockFile);
    }

    @Override
    public boolean exists(Path path) {
        return real.exists(path);
    }

    @Override
    public java.util.List<String> list(Path dir) throws IOException {
        return real.list(dir);
    }

    @Override
    public long size(Path file) throws IOException {
        return real.size(file);
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        real.createDirectories(dir);
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        IOException fail = failDirectoryForce;
        if (fail != null) {
            throw fail;
        }
        real.forceDirectory(dir);
    }

    @Override
    public void move(Path source, Path target) throws IOException {
        IOException fail = failMove;
        if (fail != null) {
            throw fail;
        }
        real.move(source, target);
    }

    @Override
    public void delete(Path path) throws IOException {
        real.delete(path);
    }

    @Override
    public long usableSpace(Path dir) throws IOException {
        long space = usableSpace;
        return space >= 0 ? space : real.usableSpace(dir);
    }

    /** The forced mark: reads and forces go through; writes fail while {@link #failMarkWrites} is set. */
    private final class MarkChannel implements LogChannel {
        private final LogChannel ch;

        MarkChannel(LogChannel ch) {
            this.ch = ch;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return ch.read(dst, position);
        }

        @Override
        public void writeFully(ByteBuffer src, long position) throws IOException {
            IOException fail = failMarkWrites;
            if (fail != null) {
                throw fail;
            }
            ch.writeFully(src, position);
        }

        @Override
        public void force(boolean metadata) throws IOException {
            ch.force(metadata);
        }

        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            ch.truncate(size);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private final class Channel implements LogChannel {
        private final LogChannel ch;
        private final boolean compacting;

        Channel(LogChannel ch, boolean compacting) {
            this.ch = ch;
            this.compacting = compacting;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return ch.read(dst, position);
        }

        @Override
        public void writeFully(ByteBuffer src, long position) throws IOException {
            writes.incrementAndGet();
            IOException failCompacting = failCompactingWrites;
            if (compacting && failCompacting != null) {
                throw failCompacting;
            }
            IOException fail = failWrite;
            if (fail != null) {
                int n = Math.min(bytesBeforeWriteFailure, src.remaining());
                if (n > 0) {
                    ByteBuffer prefix = src.duplicate();
                    prefix.limit(prefix.position() + n);
                    ch.writeFully(prefix, position);
                }
                throw fail;
            }
            ch.writeFully(src, position);
        }

        @Override
        public void force(boolean metadata) throws IOException {
            if (forceFailed) {
                forceCallsAfterFailure.incrementAndGet();
            }
            CountDownLatch entered = forceEntered;
            if (entered != null) {
                entered.countDown();
            }
            CountDownLatch gate = forceGate;
            if (gate != null) {
                try {
                    // Bounded, so that a test that fails while holding forces back cannot hang on close.
                    gate.await(20, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while held", e);
                }
            }
            IOException fail = failForce;
            if (fail != null) {
                forceFailed = true;
                throw fail;
            }
            forces.incrementAndGet();
            ch.force(metadata);
        }

        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            IOException fail = failTruncate;
            if (fail != null) {
                throw fail;
            }
            ch.truncate(size);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
