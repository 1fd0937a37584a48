package dev.kvstore.store;

import java.util.function.Consumer;

/**
 * Builds the whole state from log records in log order (recovery's replay, or a snapshot's): dispatches each
 * record, and each operation of a batch, by its kind to the keys ({@link KeyIndex.Builder}), the leases
 * ({@link LeaseTable}) and the idempotency records ({@link IdempotencyRecords}). A lease's end deletes the keys
 * attached to it at that point of the log, as the write that ended it did; records that are not keys still raise
 * the revision counter to their frame's revision.
 */
final class StateBuilder implements Consumer<LogRecord> {

    final KeyIndex.Builder keys = new KeyIndex.Builder();
    final LeaseTable leases = new LeaseTable();
    final IdempotencyRecords records;

    StateBuilder(IdempotencyOptions limits) {
        this.records = new IdempotencyRecords(limits);
    }

    @Override
    public void accept(LogRecord record) {
        if (record instanceof LogRecord.Batch b) {
            for (LogRecord op : b.ops()) {
                one(op);
            }
        } else {
            one(record);
        }
    }

    private void one(LogRecord r) {
        if (r instanceof LogRecord.Set s) {
            keys.accept(s);
            leases.attach(s.key(), s.lease());
        } else if (r instanceof LogRecord.Delete d) {
            keys.accept(d);
            leases.attach(d.key(), 0);
        } else if (r instanceof LogRecord.Revision) {
            keys.accept(r);
        } else if (r instanceof LogRecord.LeaseGrant g) {
            keys.accept(new LogRecord.Revision(g.revision()));
            leases.grant(g.lease(), g.ttlMillis());
        } else if (r instanceof LogRecord.LeaseRevoke v) {
            for (String key : leases.keys(v.lease())) {
                keys.accept(new LogRecord.Delete(key, v.revision()));
            }
            keys.accept(new LogRecord.Revision(v.revision()));
            leases.end(v.lease());
        } else if (r instanceof LogRecord.Record rec) {
            keys.accept(new LogRecord.Revision(rec.record().revision()));
            records.insert(rec.record());
        } else {
            LogRecord.RecordFloor f = (LogRecord.RecordFloor) r;
            keys.accept(new LogRecord.Revision(f.revision()));
            records.floor(f.floor(), f.horizon());
        }
    }
}
