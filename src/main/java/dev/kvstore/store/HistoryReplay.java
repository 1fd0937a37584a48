package dev.kvstore.store;

import java.util.ArrayList;
import java.util.List;

/**
 * Recovery's replay, seen by the change feed: every frame goes to the index's {@link KeyIndex.Builder}, and the
 * frames that are exact changes also become events of the {@link History}, each change with the entry the builder
 * held before it.
 *
 * <p>Which frames are exact changes:
 * <ul>
 *   <li>a log that starts with changes (a new log, or one written from empty): all of them, from revision 0;</li>
 *   <li>a compacted log or a snapshot starts with the state it copied, which is not a sequence of changes: only
 *       the frames after its HISTORY frame, which says the state before it is exactly that at its revision; one
 *       compacted before the store wrote HISTORY frames has none, and its history starts where the log ends;</li>
 *   <li>frames of the seed format carry no revision and are never copied by a compaction as they are: the history
 *       starts after the last of them.</li>
 * </ul>
 * Only the frames in the last {@code retention} bytes of the log become events: events weigh at least their frames,
 * so the history holds no older ones anyway, and replay spends nothing on the rest.
 */
final class HistoryReplay implements LogScanner.FrameSink {

    private final KeyIndex.Builder builder;
    private final History history;
    private final long windowStart;
    private boolean started;
    /** Whether the frames so far, from the history's floor on, are exact changes. */
    private boolean exact = true;

    HistoryReplay(KeyIndex.Builder builder, History history, long logSize, long retention) {
        this.builder = builder;
        this.history = history;
        this.windowStart = logSize - retention;
        history.restartAt(0);
    }

    @Override
    public void frame(long offset, int length, LogRecord record) {
        boolean atStart = !started;
        started = true;
        if (record instanceof LogRecord.History h) {
            builder.accept(record);
            exact = true;
            history.restartAt(h.floor());
        } else if (record instanceof LogRecord.Revision) {
            builder.accept(record);
            // Only a compacted log or a snapshot starts with one: what follows is a state, not changes.
            exact = exact && !atStart;
        } else if (!exact) {
            builder.accept(record);
        } else if (isSeed(record)) {
            builder.accept(record);
            history.restartAt(builder.revision());
        } else if (offset < windowStart) {
            builder.accept(record);
            history.restartAt(revision(record));
        } else {
            derive(offset, length, record);
        }
    }

    /**
     * Whether the log ends in history: false for a log compacted before the store wrote HISTORY frames, which
     * starts with a state and has none. The store then appends one at open, so that what it writes next is history
     * after a restart too.
     */
    boolean endsInHistory() {
        return exact;
    }

    /** Replay ended, and the log ends at {@code logEnd}: the history holds what it derived, or starts here. */
    void finish(long logEnd) {
        if (!exact) {
            history.restartAt(builder.revision());
        }
        history.replayEnded(builder.revision(), logEnd);
    }

    private static boolean isSeed(LogRecord record) {
        return record instanceof LogRecord.Set s ? s.revision() == 0
                : record instanceof LogRecord.Delete d && d.revision() == 0;
    }

    /** Applies a change frame to the builder and appends its event, with the entries before and after. */
    private void derive(long offset, int length, LogRecord record) {
        List<LogRecord> ops = record instanceof LogRecord.Batch b ? b.ops() : List.of(record);
        Entry[] before = new Entry[ops.size()];
        for (int i = 0; i < ops.size(); i++) {
            before[i] = builder.get(key(ops.get(i)));
        }
        builder.accept(record);
        List<Change> changes = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            String key = key(ops.get(i));
            Entry after = builder.get(key);
            if (before[i] != null || after != null) {
                changes.add(new Change(key, before[i], after));
            }
        }
        if (!changes.isEmpty()) {
            history.replayed(new ChangeEvent(revision(record), changes, offset, ChangeEvent.weigh(changes, length)));
        }
    }

    /** The revision of a version-2 change frame (the builder's counter may be ahead of it, after a REVISION frame). */
    private static long revision(LogRecord record) {
        if (record instanceof LogRecord.Batch b) {
            return b.revision();
        }
        return record instanceof LogRecord.Set s ? s.revision() : ((LogRecord.Delete) record).revision();
    }

    private static String key(LogRecord op) {
        return op instanceof LogRecord.Set s ? s.key() : ((LogRecord.Delete) op).key();
    }
}
