package dev.kvstore.store;

/**
 * What the store remembers of a command sent with an idempotency key: whose key it is ({@code scope}, the caller's
 * token name), the key, the fingerprint of the request, when it was accepted, the revision of the frame that holds
 * the record (its place in the order records are dropped in), and the command's result without string values.
 *
 * @param bytes the record's operation in its frame, in bytes: what it counts against {@code max-size}
 */
record IdempotencyRecord(String scope, String key, Command.Fingerprint fingerprint, long timeMillis, long revision,
                         CommandResult result, int bytes) {

    /** The record of a command decided now, under {@code revision}. */
    static IdempotencyRecord of(Command.Idempotent c, long revision, CommandResult result) {
        CommandResult kept = withoutStrings(result);
        int bytes = Frame.BATCH_OP_HEADER + Utf8.encodedLength(c.key()) + Frame.RECORD_FIXED_BYTES
                + Utf8.encodedLength(c.scope()) + CommandCodec.encodeResult(kept).length;
        return new IdempotencyRecord(c.scope(), c.key(), c.fingerprint(), c.timeMillis(), revision, kept, bytes);
    }

    /** Whose key, and which: what a record is found by. */
    record Id(String scope, String key) {
    }

    Id id() {
        return new Id(scope, key);
    }

    /**
     * {@code result} with every string value emptied. The request that repeats the first one carries the strings it
     * wrote, and no answer shows another one, so the record keeps only revisions, outcomes, leases and numbers: a
     * few dozen bytes, whatever the size of the values.
     */
    static CommandResult withoutStrings(CommandResult result) {
        if (result instanceof WriteResult w) {
            return new WriteResult(w.outcome(), withoutString(w.entry()), w.revision());
        }
        if (result instanceof BatchResult b) {
            return new BatchResult(b.applied(), b.revision(),
                    b.results().stream().map(r -> (WriteResult) withoutStrings(r)).toList(), b.failedIndex());
        }
        return result;
    }

    private static Entry withoutString(Entry e) {
        return e == null || e.type() != ValueType.STRING ? e
                : Entry.of(Value.of(""), e.revision(), e.createRevision(), e.lease());
    }
}
