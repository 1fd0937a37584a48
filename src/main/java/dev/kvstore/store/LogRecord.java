package dev.kvstore.store;

import java.util.List;

/**
 * One decoded frame, or one operation of a BATCH frame. A revision of 0 means the frame is of the seed format, which
 * has none: replay gives it the next revision in log order.
 */
sealed interface LogRecord {

    /**
     * A SET of {@code value} to {@code key}, attached to {@code lease} when it is not 0; {@code createRevision} is 0
     * in the seed format.
     */
    record Set(String key, Value value, long revision, long createRevision, long lease) implements LogRecord {
        Set(String key, Value value, long revision, long createRevision) {
            this(key, value, revision, createRevision, 0);
        }
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

    /** The lease {@code lease} was granted (at revision {@code lease}) with this time to live. */
    record LeaseGrant(long lease, long ttlMillis, long revision) implements LogRecord {
    }

    /** The lease {@code lease} ended, and every key attached to it was deleted, under {@code revision}. */
    record LeaseRevoke(long lease, boolean expired, long revision) implements LogRecord {
    }

    /** An idempotency record, of the revision of the frame that holds it. */
    record Record(IdempotencyRecord record) implements LogRecord {
    }

    /** Idempotency records up to revision {@code floor} were dropped; {@code horizon} is the latest time seen. */
    record RecordFloor(long floor, long horizon, long revision) implements LogRecord {
    }
}
