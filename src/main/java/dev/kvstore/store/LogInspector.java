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
     *                 inside a batch, {@code batch-set} and {@code batch-delete}; {@code lease-grant},
     *                 {@code lease-revoke}, {@code lease-expire} and, after them, a {@code lease-delete} for each key
     *                 the end of the lease deleted (the frame names no key: the tool follows the attachments as replay
     *                 does); {@code idempotency-record} and {@code idempotency-floor}
     * @param revision the frame's revision; 0 for a seed-format frame, which has none
     * @param key      {@code null} for a frame of no key (for a record: the idempotency key)
     * @param value    {@code null} but for a set
     * @param details  what else the operation carries, by name: {@code lease} (of a set attached to one, of a grant
     *                 or an end), {@code ttlMillis}, {@code keys} (how many an end deleted), {@code scope},
     *                 {@code timeMillis}, {@code floor}, {@code horizon}
     */
    public record FrameInfo(long offset, int length, String op, long revision, String key, Value value,
                            Map<String, Object> details) {

        public FrameInfo {
            details = details == null ? Map.of() : java.util.Collections.unmodifiableMap(
                    new java.util.LinkedHashMap<>(details));
        }

        public FrameInfo(long offset, int length, String op, long revision, String key, Value value) {
            this(offset, length, op, revision, key, value, Map.of());
        }

        /** Feeds the lines of {@code r} to {@code sink}; {@code leases} follows the attachments from line to line. */
        static void each(long offset, int length, LogRecord r, String prefix, LeaseTable leases,
                         Consumer<FrameInfo> sink) {
            if (r instanceof LogRecord.Set set) {
                leases.attach(set.key(), set.lease());
                sink.accept(new FrameInfo(offset, length, prefix + "set", set.revision(), set.key(), set.value(),
                        set.lease() == 0 ? Map.of() : Map.of("lease", set.lease())));
            } else if (r instanceof LogRecord.Delete d) {
                leases.attach(d.key(), 0);
                sink.accept(new FrameInfo(offset, length, prefix + "delete", d.revision(), d.key(), null));
            } else if (r instanceof LogRecord.Batch b) {
                for (LogRecord op : b.ops()) {
                    each(offset, length, op, "batch-", leases, sink);
                }
            } else if (r instanceof LogRecord.History h) {
                sink.accept(new FrameInfo(offset, length, "history", h.floor(), null, null));
            } else if (r instanceof LogRecord.LeaseGrant g) {
                leases.grant(g.lease(), g.ttlMillis());
                sink.accept(new FrameInfo(offset, length, "lease-grant", g.revision(), null, null,
                        ordered("lease", g.lease(), "ttlMillis", g.ttlMillis())));
            } else if (r instanceof LogRecord.LeaseRevoke v) {
                List<String> keys = leases.keys(v.lease());
                leases.end(v.lease());
                sink.accept(new FrameInfo(offset, length, v.expired() ? "lease-expire" : "lease-revoke",
                        v.revision(), null, null, ordered("lease", v.lease(), "keys", keys.size())));
                for (String key : keys) {
                    sink.accept(new FrameInfo(offset, length, "lease-delete", v.revision(), key, null));
                }
            } else if (r instanceof LogRecord.Record rec) {
                IdempotencyRecord x = rec.record();
                sink.accept(new FrameInfo(offset, length, "idempotency-record", x.revision(), x.key(), null,
                        ordered("scope", x.scope(), "timeMillis", x.timeMillis())));
            } else if (r instanceof LogRecord.RecordFloor f) {
                sink.accept(new FrameInfo(offset, length, "idempotency-floor", f.revision(), null, null,
                        ordered("floor", f.floor(), "horizon", f.horizon())));
            } else {
                sink.accept(new FrameInfo(offset, length, "revision", ((LogRecord.Revision) r).revision(), null,
                        null));
            }
        }

        /** The detail lines of a record ({@code idempotency-record} names an idempotency key, not a store key). */
        boolean namesStoreKey() {
            return key != null && !op.equals("idempotency-record");
        }

        private static Map<String, Object> ordered(String k1, Object v1, String k2, Object v2) {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put(k1, v1);
            m.put(k2, v2);
            return m;
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
        LeaseTable leases = new LeaseTable();
        try (LogChannel ch = storage.openReadOnly(log)) {
            ForcedMark mark = new DataDirectory(storage, log).readMark();
            Diagnosis d = LogRecovery.examine(ch, format, mark, (offset, length, r) -> {
                FrameInfo.each(offset, length, r, "", leases, f -> {
                    each.accept(f);
                    if (f.namesStoreKey()) {
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
        LeaseTable leases = new LeaseTable();
        LogScanner scanner = new LogScanner(ch, format, d.size());
        long pos = d.validBytes();
        while (pos < d.size()) {
            LogScanner.Sound s = pos == d.validBytes() ? null : scanner.soundAt(pos);
            if (s != null) {
                FrameInfo.each(pos, s.length(), s.record(), "", leases, frames::add);
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
