package dev.kvstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A disk in memory that models a power cut. What was forced survives. What was written since the last force of its
 * file survives by one of two models: write by write, each lost, kept, or torn at any byte (only a prefix reached
 * the disk, though never within a sector), with an unforced truncate perhaps undone and perhaps a zero-filled
 * extension; or, with {@code pages},
 * as the page cache writes back, each changed 4 KiB page kept, lost or torn at a 512-byte sector, in no set order,
 * and the new size kept or not.
 *
 * <p>Names (files created, renamed over another, removed) change on disk only when their directory is forced; the
 * changes made since reach the disk in the order they were made, up to a random point (as a journaling file system
 * commits its metadata in order), or, with {@link #losingUnforcedNames}, none of them. A rename is one change: the
 * disk holds the old file or the new one under the name, never neither. A directory made whose parent was not forced
 * since vanishes with everything in it. A file whose last name was removed lives on for the channels still open on
 * it, and is gone after the power cut.
 *
 * <p>Power is cut after a given number of operations ({@link #cutPowerAfter}) or at once ({@link #cutPower}); the
 * operation that meets the cut fails, as do all later ones. {@link #reboot} then gives the disk as it would come back.
 * Thread-safe: the store's writer thread and the test's threads use it at once.
 */
final class SimulatedDisk implements LogStorage {

    static final int PAGE = 4096;
    static final int SECTOR = 512;

    private final SplittableRandom fate;
    private final boolean pages;
    /** Names as the process sees them. */
    private final Map<Path, SimFile> files = new HashMap<>();
    /** Names as the disk holds them, as of the last directory forces. */
    private final Map<Path, SimFile> durableNames = new HashMap<>();
    /** Name changes made since, in order. */
    private final List<NameChange> pendingNames = new ArrayList<>();
    private boolean strictNames;
    private final Set<Path> dirs = new HashSet<>();
    private final Set<Path> durableDirs = new HashSet<>();
    /** Lock files held by a store on this disk; a power cut ends the process, and so its locks. */
    private final Set<Path> locks = new HashSet<>();
    private long opsLeft = Long.MAX_VALUE;
    private boolean powerCut;
    private long ops;

    SimulatedDisk(long seed, boolean pages) {
        this.fate = new SplittableRandom(seed);
        this.pages = pages;
    }

    /** Loses every name change whose directory was not forced, instead of a random prefix of them. */
    synchronized SimulatedDisk losingUnforcedNames() {
        strictNames = true;
        return this;
    }

    /** One change of names: {@code removed} goes (if not null) and {@code added} names {@code file} (if not null). */
    private record NameChange(Path removed, Path added, SimFile file) {
        void applyTo(Map<Path, SimFile> names) {
            if (removed != null) {
                names.remove(removed);
            }
            if (added != null) {
                names.put(added, file);
            }
        }

        Path dir() {
            return (added != null ? added : removed).getParent();
        }
    }

    /** A write of {@code bytes} at {@code pos}, or, when {@code bytes} is null, a truncate to {@code pos}. */
    private record Change(long pos, byte[] bytes) {
    }

    /** One file: what the process sees, what would survive a power cut, and the changes in between. */
    private static final class SimFile {
        byte[] data = new byte[0];
        int size;
        /** The largest size the file reached: a truncate shrinks {@code size} but leaves the bytes in {@code data}. */
        int reached;
        byte[] durable = new byte[0];
        int durableSize;
        /** Writes and truncates since the last force, in order. */
        final List<Change> pending = new ArrayList<>();

        void write(long pos, byte[] bytes) {
            int end = Math.toIntExact(pos + bytes.length);
            if (end > data.length) {
                data = Arrays.copyOf(data, Math.max(end, data.length * 2));
            }
            if (pos > size) {
                Arrays.fill(data, size, (int) pos, (byte) 0);
            }
            System.arraycopy(bytes, 0, data, (int) pos, bytes.length);
            size = Math.max(size, end);
            reached = Math.max(reached, end);
            pending.add(new Change(pos, bytes));
        }

        void truncate(long newSize) {
            if (newSize < size) {
                size = (int) newSize;
            }
            pending.add(new Change(newSize, null));
        }

        void force() {
            durable = Arrays.copyOf(data, size);
            durableSize = size;
            pending.clear();
        }
    }

    // ---- power ----

    /** The power goes when {@code n} more operations have run: the next one fails, as does every one after it. */
    synchronized void cutPowerAfter(long n) {
        opsLeft = n;
    }

    synchronized void cutPower() {
        powerCut = true;
    }

    synchronized boolean isPowerCut() {
        return powerCut;
    }

    /** Operations run so far. */
    synchronized long operations() {
        return ops;
    }

    /** Bytes of {@code file} as the process last saw them (before any cut). */
    synchronized byte[] contents(Path file) {
        SimFile f = files.get(file);
        return f == null ? null : Arrays.copyOf(f.data, f.size);
    }

    /** Every byte written to {@code file} at its offset, including bytes a later truncate took back. */
    synchronized byte[] everWritten(Path file) {
        SimFile f = files.get(file);
        return f == null ? null : Arrays.copyOf(f.data, Math.max(f.size, f.reached));
    }

    /** Bytes of {@code file} that a force has covered. */
    synchronized int forcedSize(Path file) {
        SimFile f = files.get(file);
        return f == null ? 0 : f.durableSize;
    }

    /** The disk as it comes back after the power cut (or as it is, if there was none): a new disk, power on. */
    synchronized SimulatedDisk reboot(long seed) {
        SimulatedDisk next = new SimulatedDisk(seed, pages);
        next.strictNames = strictNames;
        next.dirs.addAll(durableDirs);
        next.durableDirs.addAll(durableDirs);
        Map<Path, SimFile> names = new java.util.TreeMap<>(durableNames);
        int kept = strictNames ? 0 : fate.nextInt(pendingNames.size() + 1);
        for (NameChange c : pendingNames.subList(0, kept)) {
            c.applyTo(names);
        }
        Map<SimFile, SimFile> survivors = new java.util.IdentityHashMap<>();
        names.forEach((p, f) -> {
            if (durableDirs.contains(p.getParent()) || isRoot(p.getParent())) {
                SimFile s = survivors.computeIfAbsent(f, this::survivor);
                next.files.put(p, s);
                next.durableNames.put(p, s);
            }
        });
        return next;
    }

    private boolean isRoot(Path dir) {
        return dir == null || !dirs.contains(dir) && !durableDirs.contains(dir);
    }

    /** What of {@code f} survives: its forced bytes, then what happened since by the model's fates. */
    private SimFile survivor(SimFile f) {
        byte[] out = Arrays.copyOf(f.durable, Math.max(f.durableSize, f.data.length));
        int len = pages ? survivingPages(f, out) : survivingWrites(f, out);
        SimFile s = new SimFile();
        s.data = Arrays.copyOf(out, len);
        s.size = len;
        s.durable = s.data.clone();
        s.durableSize = len;
        return s;
    }

    /**
     * Write by write, in order: each is lost, kept, or torn (a prefix of any length kept); an unforced truncate
     * may be undone; the file may keep a zero-filled extension up to the size it reached.
     */
    private int survivingWrites(SimFile f, byte[] out) {
        int len = f.durableSize;
        int reached = len;
        for (Change c : f.pending) {
            if (c.bytes() == null) {
                if (fate.nextBoolean() && c.pos() < len) {
                    len = (int) c.pos();
                }
                continue;
            }
            reached = (int) Math.max(reached, c.pos() + c.bytes().length);
            len = persist(out, len, c.pos(), c.bytes());
        }
        if (reached > len && fate.nextInt(4) == 0) {
            int extended = len + 1 + fate.nextInt(reached - len);
            Arrays.fill(out, len, extended, (byte) 0);
            len = extended;
        }
        return len;
    }

    /**
     * As the page cache writes a file back: every page changed since the last force reaches the disk with its latest
     * contents, or not at all, or torn at a sector boundary (its first sectors only), each page on its own. The new
     * size reaches the disk or not; where it did but a page did not, that page reads as zeros.
     */
    private int survivingPages(SimFile f, byte[] out) {
        int len = fate.nextBoolean() ? f.size : f.durableSize;
        Set<Integer> dirty = new java.util.TreeSet<>();
        for (Change c : f.pending) {
            if (c.bytes() != null && c.bytes().length > 0) {
                for (long p = c.pos() / PAGE; p <= (c.pos() + c.bytes().length - 1) / PAGE; p++) {
                    dirty.add((int) p);
                }
            }
        }
        for (int page : dirty) {
            int from = page * PAGE;
            int to = Math.min(from + PAGE, f.size);
            if (from >= to) {
                continue;
            }
            int kept = switch (fate.nextInt(3)) {
                case 0 -> 0;
                case 1 -> to - from;
                default -> Math.min(to - from, SECTOR * fate.nextInt(PAGE / SECTOR));
            };
            System.arraycopy(f.data, from, out, from, kept);
        }
        if (len > f.durableSize) {
            // Past the old end, what no page brought reads as zeros, not as stale bytes.
            for (int page = f.durableSize / PAGE; page * PAGE < len; page++) {
                if (!dirty.contains(page)) {
                    Arrays.fill(out, Math.max(page * PAGE, f.durableSize), Math.min(page * PAGE + PAGE, len), (byte) 0);
                }
            }
        }
        return len;
    }

    /**
     * Applies one write by its fate: lost, kept, or torn (a prefix kept). A write that lies within one sector is
     * never torn: disks write a sector whole or not at all, which the 16-byte forced mark relies on. Returns the
     * new length.
     */
    private int persist(byte[] out, int len, long pos, byte[] bytes) {
        boolean oneSector = bytes.length > 0 && pos / SECTOR == (pos + bytes.length - 1) / SECTOR;
        int kept = switch (fate.nextInt(3)) {
            case 0 -> 0;
            case 1 -> bytes.length;
            default -> bytes.length <= 1 || oneSector ? 0 : 1 + fate.nextInt(bytes.length - 1);
        };
        if (kept == 0) {
            return len;
        }
        if (pos > len) {
            Arrays.fill(out, len, (int) pos, (byte) 0);
        }
        System.arraycopy(bytes, 0, out, (int) pos, kept);
        return (int) Math.max(len, pos + kept);
    }

    private synchronized void tick() throws IOException {
        if (powerCut || opsLeft-- <= 0) {
            powerCut = true;
            throw new IOException("simulated power cut");
        }
        ops++;
    }

    /** Puts {@code bytes} at {@code file} as if written, forced and made durable in its directory long ago. */
    synchronized void install(Path file, byte[] bytes) {
        for (Path d = file.getParent(); d != null; d = d.getParent()) {
            dirs.add(d);
            durableDirs.add(d);
        }
        SimFile f = new SimFile();
        f.write(0, bytes);
        f.force();
        files.put(file, f);
        durableNames.put(file, f);
    }

    /** Names of the files in {@code dir}, as the process sees them. */
    @Override
    public synchronized java.util.List<String> list(Path dir) {
        return files.keySet().stream().filter(p -> dir.equals(p.getParent()))
                .map(p -> p.getFileName().toString()).sorted().toList();
    }

    // ---- LogStorage ----

    @Override
    public synchronized LogChannel open(Path file, boolean create) throws IOException {
        tick();
        SimFile f = files.get(file);
        if (f == null) {
            if (!create) {
                throw new java.nio.file.NoSuchFileException(file.toString());
            }
            f = new SimFile();
            files.put(file, f);
            pendingNames.add(new NameChange(null, file, f));
        }
        return new Channel(file, f, false);
    }

    @Override
    public synchronized LogChannel openReadOnly(Path file) throws IOException {
        tick();
        SimFile f = files.get(file);
        if (f == null) {
            throw new java.nio.file.NoSuchFileException(file.toString());
        }
        return new Channel(file, f, true);
    }

    @Override
    public synchronized java.io.Closeable lock(Path lockFile) throws IOException {
        if (!locks.add(lockFile)) {
            throw new DataDirectoryLockedException(lockFile, "another store on this simulated disk");
        }
        boolean[] released = {false};
        return () -> {
            synchronized (SimulatedDisk.this) {
                if (!released[0]) {
                    released[0] = true;
                    locks.remove(lockFile);
                }
            }
        };
    }

    @Override
    public synchronized long size(Path file) throws IOException {
        SimFile f = files.get(file);
        if (f == null) {
            throw new java.nio.file.NoSuchFileException(file.toString());
        }
        return f.size;
    }

    @Override
    public synchronized boolean exists(Path path) {
        return files.containsKey(path) || dirs.contains(path);
    }

    @Override
    public synchronized void createDirectories(Path dir) throws IOException {
        tick();
        for (Path d = dir; d != null && !dirs.contains(d); d = d.getParent()) {
            dirs.add(d);
        }
    }

    @Override
    public synchronized void forceDirectory(Path dir) throws IOException {
        tick();
        for (java.util.Iterator<NameChange> it = pendingNames.iterator(); it.hasNext(); ) {
            NameChange c = it.next();
            if (dir.equals(c.dir())) {
                c.applyTo(durableNames);
                it.remove();
            }
        }
        for (Path d : dirs) {
            if (dir.equals(d.getParent())) {
                durableDirs.add(d);
            }
        }
    }

    @Override
    public synchronized void move(Path source, Path target) throws IOException {
        tick();
        SimFile f = files.remove(source);
        if (f == null) {
            throw new java.nio.file.NoSuchFileException(source.toString());
        }
        files.put(target, f);
        pendingNames.add(new NameChange(source, target, f));
    }

    @Override
    public synchronized void delete(Path path) throws IOException {
        tick();
        if (files.remove(path) != null) {
            pendingNames.add(new NameChange(path, null, null));
        }
    }

    @Override
    public synchronized long usableSpace(Path dir) throws IOException {
        tick();
        return Long.MAX_VALUE / 2;
    }

    private final class Channel implements LogChannel {
        private final Path path;
        private final SimFile f;
        private final boolean readOnly;
        private boolean closed;

        Channel(Path path, SimFile f, boolean readOnly) {
            this.path = path;
            this.f = f;
            this.readOnly = readOnly;
        }

        private void check() throws IOException {
            if (closed) {
                throw new java.nio.channels.ClosedChannelException();
            }
            tick();
        }

        private void checkWritable() throws IOException {
            if (readOnly) {
                throw new java.nio.channels.NonWritableChannelException();
            }
            check();
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            synchronized (SimulatedDisk.this) {
                check();
                if (position >= f.size) {
                    return -1;
                }
                int n = (int) Math.min(dst.remaining(), f.size - position);
                dst.put(f.data, (int) position, n);
                return n;
            }
        }

        @Override
        public void writeFully(ByteBuffer src, long position) throws IOException {
            synchronized (SimulatedDisk.this) {
                checkWritable();
                byte[] bytes = new byte[src.remaining()];
                src.get(bytes);
                f.write(position, bytes);
            }
        }

        @Override
        public void force(boolean metadata) throws IOException {
            synchronized (SimulatedDisk.this) {
                check();
                f.force();
            }
        }

        @Override
        public long size() throws IOException {
            synchronized (SimulatedDisk.this) {
                check();
                return f.size;
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            synchronized (SimulatedDisk.this) {
                checkWritable();
                f.truncate(size);
            }
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public String toString() {
            return "sim:" + path;
        }
    }
}
