package dev.kvstore.store;

import java.util.List;

/**
 * One decoded frame. A revision of 0 means the frame is of the seed format, which has none: replay gives it the next
 * revision in log order.
 */
sealed interface LogRecord {

    /** A SET of {@code value} to {@code key}; {@code createRevision} is 0 in the seed format. */
    record Set(String key, Value value, long revision, long createRevision) implements LogRecord {
    }

    record Delete(String key, long revision) implements LogRecord {
    }

    /** Operations written together under one revision: all of them or none are in the log. */
    record Batch(long revision, List<LogRecord> ops) implements LogRecord {
    }

    /** The revision counter had reached {@code revision}. */
    record Revision(long revision) implements LogRecord {
    }

    /**
     * The records before this one replay to exactly the state at {@code floor}, and every record after it is a
     * change made after {@code floor}, in order: the change feed's history starts here.
     */
    record History(long floor) implements LogRecord {
    }
}
