package dev.kvstore.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The log's directory and every file in it, all named after the log ({@code kvstore.log} in a store):
 * <pre>
 * kvstore.log                    the log
 * kvstore.log.forced             its {@link ForcedMark}
 * kvstore.log.lock               the OS lock one store (or one repair) holds while it has the directory open
 * kvstore.log.compacting         compaction's new log, before it takes the log's name
 * kvstore.log.snapshot           a snapshot being written (unlinked as soon as it is created)
 * kvstore.log.restoring          a snapshot being restored, before it takes the log's name
 * kvstore.log.torn-&lt;time&gt;       bytes recovery cut off after a crash
 * kvstore.log.corrupt-&lt;time&gt;    the whole original, before a repair at start
 * kvstore.log.orig-&lt;time&gt;       the whole original, before the offline tool's repair
 * </pre>
 * A crash can leave the {@code compacting}, {@code snapshot} and {@code restoring} files behind; every start deletes
 * them ({@link #deleteLeftovers}) before the log is opened. The set-aside copies ({@code torn-}, {@code corrupt-})
 * are pruned at every start ({@link #pruneCopies}).
 */
final class DataDirectory {

    static final String MARK_SUFFIX = ".forced";
    static final String LOCK_SUFFIX = ".lock";
    static final String COMPACTING_SUFFIX = ".compacting";
    static final String SNAPSHOT_SUFFIX = ".snapshot";
    static final String RESTORING_SUFFIX = ".restoring";
    /** Bytes recovery cut off after a crash. */
    static final String TORN = "torn";
    /** The whole original, before a repair at start. */
    static final String CORRUPT = "corrupt";
    /** The whole original, before the offline tool's repair; never pruned. */
    static final String ORIGINAL = "orig";

    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final int COPY_BUFFER_BYTES = 1 << 20;

    private final LogStorage storage;
    private final Path log;
    private final Path dir;

    DataDirectory(LogStorage storage, Path log) {
        this.storage = storage;
        this.log = log.toAbsolutePath();
        this.dir = this.log.getParent();
    }

    LogStorage storage() {
        return storage;
    }

    Path log() {
        return log;
    }

    Path markFile() {
        return markOf(log);
    }

    Path lockFile() {
        return lockOf(log);
    }

    Path compacting() {
        return sibling(COMPACTING_SUFFIX);
    }

    Path snapshotFile() {
        return sibling(SNAPSHOT_SUFFIX);
    }

    Path restoring() {
        return sibling(RESTORING_SUFFIX);
    }

    /** Where the forced mark of {@code log} lives: beside it, named after it. */
    static Path markOf(Path log) {
        return log.resolveSibling(log.getFileName() + MARK_SUFFIX);
    }

    /** The lock file of the directory of {@code log}: named after the log, like its forced mark. */
    static Path lockOf(Path log) {
        return log.resolveSibling(log.getFileName() + LOCK_SUFFIX);
    }

    private Path sibling(String suffix) {
        return log.resolveSibling(log.getFileName() + suffix);
    }

    /** Creates the directory when missing, and makes its own entry durable: else a power cut can lose the whole log. */
    void createIfMissing() throws IOException {
        if (!storage.exists(dir)) {
            storage.createDirectories(dir);
            storage.forceDirectory(dir.getParent());
        }
    }

    /**
     * Takes the directory's exclusive lock, an OS lock held until the handle is closed.
     *
     * @throws DataDirectoryLockedException when another process, or another store in this one, holds it
     */
    Closeable lock() throws IOException {
        return storage.lock(lockFile());
    }

    /** Deletes what a crash during a compaction, a snapshot or a restore left; run before the log opens. */
    void deleteLeftovers() throws IOException {
        storage.delete(compacting());
        storage.delete(snapshotFile());
        storage.delete(restoring());
    }

    /** Makes the directory's entries (files created, renamed or removed) durable. */
    void force() throws IOException {
        storage.forceDirectory(dir);
    }

    /** The mark kept beside the log, or {@code null} when there is none or it is not intact. Reads only. */
    ForcedMark readMark() throws IOException {
        Path mark = markFile();
        if (!storage.exists(mark)) {
            return null;
        }
        try (LogChannel file = storage.openReadOnly(mark)) {
            return ForcedMark.read(file);
        }
    }

    /** Replaces the mark beside the log with {@code mark}, forced. */
    void rewriteMark(ForcedMark mark) throws IOException {
        try (LogChannel file = storage.open(markFile(), false)) {
            mark.write(file);
        }
    }

    /** Removes the mark beside the log, durably. */
    void removeMark() throws IOException {
        storage.delete(markFile());
        force();
    }

    /**
     * Fills an empty directory from a snapshot (or any log of this store), the way a database image initializes only
     * an empty data directory: a log that already holds data is never overwritten.
     *
     * <p>The snapshot is only read (a backup on a read-only mount will do), and checked whole first: a copy cut
     * short, or damaged, is refused with {@link InvalidSnapshotException}, and one of another magic or version with
     * {@link IncompatibleLogException}, since restoring a prefix of it would silently lose data. It is then copied to
     * {@code restoring}, which is forced; the forced mark of the log it replaces is removed, so that it is not taken
     * for the restored log's; and it is renamed to the log, and the directory forced: a crash leaves either no log
     * (and the restore runs again) or the whole snapshot.
     *
     * @return whether it restored; {@code false} when the log already holds data
     */
    boolean restoreIfEmpty(Path snapshot, LogFormat format) throws IOException {
        if (storage.exists(log) && storage.size(log) > 0) {
            return false;
        }
        Path restoring = restoring();
        try (LogChannel source = storage.openReadOnly(snapshot)) {
            checkWhole(source, snapshot, format);
            storage.delete(restoring);
            try (LogChannel target = storage.open(restoring, true)) {
                copyRange(source, 0, source.size(), target);
                target.force(true);
            }
        }
        storage.delete(markFile());
        storage.move(restoring, log);
        force();
        return true;
    }

    private static void checkWhole(LogChannel source, Path snapshot, LogFormat format) throws IOException {
        Diagnosis d = LogRecovery.examine(source, format, null, (offset, length, record) -> {
        });
        switch (d.kind()) {
            case SOUND:
                return;
            case INCOMPATIBLE:
                throw new IncompatibleLogException(snapshot, d.foreignOffset(), (byte) d.foundMagic(),
                        (byte) d.foundVersion(), format);
            default:
                throw new InvalidSnapshotException(snapshot, d.validBytes(), d.defect(), d.size());
        }
    }

    /**
     * Copies bytes {@code [from, to)} of {@code source} to a new file beside the log,
     * {@code <log>.<kind>-<time>}, and makes the copy and its name durable.
     */
    Path setAside(LogChannel source, long from, long to, String kind, Instant now) throws IOException {
        String base = log.getFileName() + "." + kind + "-" + STAMP.format(now);
        Path target = log.resolveSibling(base);
        for (int i = 1; storage.exists(target); i++) {
            target = log.resolveSibling(base + "-" + i);
        }
        try (LogChannel out = storage.open(target, true)) {
            copyRange(source, from, to, out);
            out.force(true);
        }
        force();
        return target;
    }

    /**
     * Prunes the copies recovery set aside ({@code torn-}, {@code corrupt-}): the newest ones are kept, at most
     * {@code keepCopies} of them within {@code keepCopiesBytes}, and {@code madeNow}, the one this very start made,
     * always. Copies the offline tool's repair made ({@code orig-}) and files of other names are never touched.
     */
    SetAsideCopies pruneCopies(int keepCopies, long keepCopiesBytes, Path madeNow) throws IOException {
        Pattern names = Pattern.compile(Pattern.quote(log.getFileName().toString())
                + "\\.(?:" + TORN + "|" + CORRUPT + ")-(\\d{8}T\\d{6}\\.\\d{3}Z)(?:-(\\d+))?");
        List<Found> found = new ArrayList<>();
        for (String name : storage.list(dir)) {
            Matcher m = names.matcher(name);
            if (m.matches()) {
                found.add(new Found(name, m.group(1), m.group(2) == null ? 0 : Long.parseLong(m.group(2)),
                        storage.size(dir.resolve(name))));
            }
        }
        found.sort(Comparator.comparing(Found::stamp).thenComparingLong(Found::n).reversed());
        String now = madeNow == null ? null : madeNow.getFileName().toString();
        List<SetAsideCopies.Copy> kept = new ArrayList<>();
        List<String> pruned = new ArrayList<>();
        long bytes = 0;
        for (Found f : found) {
            boolean fits = kept.size() < keepCopies && bytes + f.bytes() <= keepCopiesBytes;
            if (f.name().equals(now) || fits) {
                kept.add(new SetAsideCopies.Copy(f.name(), f.bytes()));
                bytes += f.bytes();
            } else {
                storage.delete(dir.resolve(f.name()));
                pruned.add(f.name());
            }
        }
        return new SetAsideCopies(List.copyOf(kept), List.copyOf(pruned));
    }

    private record Found(String name, String stamp, long n, long bytes) {
    }

    /** Copies bytes {@code [from, to)} of {@code source} to the start of {@code target}. */
    static void copyRange(LogChannel source, long from, long to, LogChannel target) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(COPY_BUFFER_BYTES, Math.max(1, to - from)));
        for (long pos = from; pos < to; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), to - pos));
            int n = source.read(buf, pos);
            if (n < 0) {
                throw new IOException("file shrank while being copied, at offset " + pos);
            }
            buf.flip();
            target.writeFully(buf, pos - from);
            pos += n;
        }
    }
}
