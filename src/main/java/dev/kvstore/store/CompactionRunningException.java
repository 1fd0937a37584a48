package dev.kvstore.store;

/** A compaction was asked for while one is running; the running one goes on. */
public final class CompactionRunningException extends RuntimeException {

    public CompactionRunningException() {
        super("a compaction is already running; its result will show in the wal health details and the metrics",
                null, false, false);
    }
}
