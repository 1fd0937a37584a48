package dev.kvstore.store;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Offline inspection and repair of a log file, for operators: the same codec and the same classification of
 * damage that the server recovers with: the same {@link Diagnosis} ({@link LogRecovery#examine}). {@link #verify} and {@link #dump} open the
 * log and its forced mark read-only and take no lock, so they work on a read-only mount and beside a running
 * server; {@link #repair} takes the data directory's lock first, and refuses while a server holds it.
 */
public final class LogInspector {

    /**
     * The verdict on a log, as the server would judge it.
     *
     * @param liveKeys keys with a value after the sound frames, or -1 when not counted
     */
    public record Report(Path log, Diagnosis diagnosis, int liveKeys) {
    }

    /**
     * One sound frame, or one operation of a batch frame (which has the batch's offset and length).
     *
     * @param op       {@code set}, {@code delete}, {@code revision} (the counter's floor), {@code history} (the
     *                 frames before it hold exactly the state at its revision; the change feed's history follows) or,
     *                 inside a batch, {@code batch-set} and {@code batch-delete}
     * @param revision the frame's revision; 0 for a seed-format frame, which has none
     * @param key      {@code null} for a revision frame
     * @param value    {@code null} but for a set
     */
    public record FrameInfo(long offset, int length, String op, long revision, String key, Value value) {

        static void each(long offset, int length, LogRecord r, String prefix, Consumer<FrameInfo> sink) {
            if (r instanceof LogRecord.Set set) {
                sink.accept(new FrameInfo(offset, length, prefix + "set", set.revision(), set.key(), set.value()));
            } else if (r instanceof LogRecord.Delete d) {
                sink.accept(new FrameInfo(offset, length, prefix + "delete", d.revision(), d.key(), null));
            } else if (r instanceof LogRecord.Batch b) {
                for (LogRecord op : b.ops()) {
                    each(offset, length, op, "batch-", sink);
                }
            } else if (r instanceof LogRecord.History h) {
                sink.accept(new FrameInfo(offset, length, "history", h.floor(), null, null));
            } else {
                sink.accept(new FrameInfo(offset, length, "revision", ((LogRecord.Revision) r).revision(), null,
                        null));
            }
        }
    }

    /** What {@link #repair} did, or would do under {@code dryRun}. */
    public record Repair(Report before, long bytesDropped, List<FrameInfo> droppedFrames, Path original) {
    }

    private final LogStorage storage;
    private final LogFormat format;

    /**
     * An inspector for logs of this magic and limits (the server's {@code kv.wal.magic}, {@code kv.limits.*} and
     * {@code kv.batch.max-size}).
     */
    public LogInspector(byte magic, int maxKeyBytes, int maxValueBytes, int maxBatchBytes) {
        this(LogStorage.files(), new LogFormat(magic, maxKeyBytes, maxValueBytes, maxBatchBytes));
    }

    LogInspector(LogStorage storage, LogFormat format) {
        this.storage = storage;
        this.format = format;
    }

    public Report verify(Path log) throws IOException {
        return dump(log, f -> { });
    }

    /** Calls {@code each} for every sound frame from the start, in order; returns the verdict on what follows. */
    public Report dump(Path log, Consumer<FrameInfo> each) throws IOException {
        Map<String, Boolean> keys = new HashMap<>();
        try (LogChannel ch = storage.openReadOnly(log)) {
            ForcedMark mark = new DataDirectory(storage, log).readMark();
            Diagnosis d = LogRecovery.examine(ch, format, mark, (offset, length, r) -> {
                FrameInfo.each(offset, length, r, "", f -> {
                    each.accept(f);
                    if (f.key() != null) {
                        keys.compute(f.key(), (k, v) -> f.value() == null ? null : Boolean.TRUE);
                    }
                });
            });
            return new Report(log, d, keys.size());
        }
    }

    /**
     * Cuts the log back to its valid prefix after copying the whole original to {@code <log>.orig-<time>}, and
     * lists the sound frames found in what was cut. Under {@code dryRun} it only says so, reading only. An
     * incompatible log is never cut: it is not damaged, it belongs to another store.
     *
     * @throws DataDirectoryLockedException when a server (or another repair) has the log's directory open; nothing
     *                                      was read or changed
     */
    public Repair repair(Path log, boolean dryRun) throws IOException {
        if (dryRun) {
            try (LogChannel ch = storage.openReadOnly(log)) {
                return repair(log, ch, true);
            }
        }
        if (!storage.exists(log)) {
            throw new java.nio.file.NoSuchFileException(log.toString());
        }
        DataDirectory dir = new DataDirectory(storage, log);
        try (java.io.Closeable lock = dir.lock();
             LogChannel ch = storage.open(log, false)) {
            return repair(log, ch, false);
        }
    }

    private Repair repair(Path log, LogChannel ch, boolean dryRun) throws IOException {
        DataDirectory dir = new DataDirectory(storage, log);
        ForcedMark mark = dir.readMark();
        Diagnosis d = LogRecovery.examine(ch, format, mark, (o, l, r) -> { });
        Report before = new Report(log, d, -1);
        if (d.kind() == Diagnosis.Kind.SOUND || d.kind() == Diagnosis.Kind.INCOMPATIBLE) {
            return new Repair(before, 0, List.of(), null);
        }
        List<FrameInfo> dropped = framesIn(ch, d);
        Path original = dryRun ? null
                : new LogRecovery(dir, format, true, Clock.systemUTC()).cutKeepingOriginal(ch, d, mark);
        return new Repair(before, d.badBytes(), dropped, original);
    }

    /** The sound frames in the part a repair drops, each found by searching on past bad bytes. */
    private List<FrameInfo> framesIn(LogChannel ch, Diagnosis d) throws IOException {
        List<FrameInfo> frames = new ArrayList<>();
        LogScanner scanner = new LogScanner(ch, format, d.size());
        long pos = d.validBytes();
        while (pos < d.size()) {
            LogScanner.Sound s = pos == d.validBytes() ? null : scanner.soundAt(pos);
            if (s != null) {
                FrameInfo.each(pos, s.length(), s.record(), "", frames::add);
                pos += s.length();
                continue;
            }
            LogScanner.Search next = scanner.findFrameAfter(pos);
            if (next.outcome() != LogScanner.Search.Outcome.FOUND) {
                break;
            }
            pos = next.frame().validBytes();
        }
        return frames;
    }
}
