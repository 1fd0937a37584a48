package dev.kvstore.store;

/**
 * A read of the change feed from a revision older than the history the store still holds: the changes in between
 * are gone. The reader lists the keys again and reads on from the listing's revision + 1.
 */
public final class HistoryCompactedException extends RuntimeException {

    private final long requested;
    private final long compactRevision;
    private final String floorCause;

    HistoryCompactedException(long requested, long compactRevision, String floorCause) {
        super(String.format("revision %d is older than the history the store holds, which starts at revision %d (%s)",
                requested, compactRevision, floorCause), null, false, false);
        this.requested = requested;
        this.compactRevision = compactRevision;
        this.floorCause = floorCause;
    }

    /** Why the history starts there, as {@link ChangeFeed#floorCause()} says it. */
    public String floorCause() {
        return floorCause;
    }

    public long requested() {
        return requested;
    }

    /** The oldest revision a read can start from now. */
    public long compactRevision() {
        return compactRevision;
    }
}
