package dev.kvstore.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/** {@link LogStorage} on the real file system. */
final class FileLogStorage implements LogStorage {

    static final FileLogStorage INSTANCE = new FileLogStorage();

    /**
     * Lock files this process holds, with what it wrote into them. Checked before the file is opened: on Linux,
     * closing any channel of a file drops every lock this process holds on it, so a second store in this JVM must not
     * even open the lock file of the first.
     */
    private static final Map<Path, String> HELD = new ConcurrentHashMap<>();
    /** Channels that met a lock of this JVM that {@link #HELD} did not know (another path to the same file). */
    private static final List<FileChannel> NOT_CLOSED = new CopyOnWriteArrayList<>();
    private static final int HOLDER_BYTES = 512;

    private FileLogStorage() {
    }

    @Override
    public LogChannel open(Path file, boolean create) throws IOException {
        FileChannel ch = create
                ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE)
                : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new FileLogChannel(ch);
    }

    @Override
    public LogChannel openReadOnly(Path file) throws IOException {
        return new FileLogChannel(FileChannel.open(file, StandardOpenOption.READ));
    }

    @Override
    public Closeable lock(Path lockFile) throws IOException {
        Path key = lockFile.toAbsolutePath().getParent().toRealPath().resolve(lockFile.getFileName());
        String me = holder();
        String other = HELD.putIfAbsent(key, me);
        if (other != null) {
            throw new DataDirectoryLockedException(lockFile, other + ", in this very process");
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                NOT_CLOSED.add(ch);
                ch = null;
                throw new DataDirectoryLockedException(lockFile, "this very process, through another path");
            }
            if (lock == null) {
                throw new DataDirectoryLockedException(lockFile, readHolder(ch));
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            FileChannel held = ch;
            java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
            return () -> {
                if (released.compareAndSet(false, true)) {
                    try {
                        held.close();
                    } finally {
                        HELD.remove(key);
                    }
                }
            };
        } catch (IOException | RuntimeException | Error e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            HELD.remove(key);
            throw e;
        }
    }

    /** Who this process is, for the lock file: what an operator needs to find it. */
    private static String holder() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
            } catch (IOException | RuntimeException e) {
                host = "an unknown host";
            }
        }
        return "pid " + ProcessHandle.current().pid() + " on host " + host + ", since " + Instant.now();
    }

    private static String readHolder(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(HOLDER_BYTES);
        while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
            // keep reading
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).trim();
    }

    @Override
    public List<String> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Override
    public long size(Path file) throws IOException {
        return Files.size(file);
    }

    @Override
    public boolean exists(Path path) {
        return Files.exists(path);
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        Files.createDirectories(dir);
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        // Linux lets a directory be opened read-only and fsynced; that is what makes new entries durable.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public void move(Path source, Path target) throws IOException {
        Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void delete(Path path) throws IOException {
        Files.deleteIfExists(path);
    }

    @Override
    public long usableSpace(Path dir) throws IOException {
        return Files.getFileStore(dir).getUsableSpace();
    }

    private static final class FileLogChannel implements LogChannel {
        private final FileChannel ch;

        FileLogChannel(FileChannel ch) {
            this.ch = ch;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return ch.read(dst, position);
        }

        @Override
        public void writeFully(ByteBuffer src, long position) throws IOException {
            long pos = position;
            while (src.hasRemaining()) {
                pos += ch.write(src, pos);
            }
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
}
