package dev.kvstore.store;

/** What a write did, or why it wrote nothing. */
public enum WriteOutcome {
    CREATED, REPLACED, DELETED,
    /** A delete of a key that has no value: nothing written. */
    NOT_FOUND,
    /** The write's {@link Precondition} did not hold: nothing written. */
    PRECONDITION_FAILED,
    /** An increment of a key that holds a string: nothing written. */
    NOT_A_NUMBER,
    /** An increment of an integer by a float: nothing written. */
    TYPE_MISMATCH,
    /** An operation of a batch that was not applied because another one's precondition failed. */
    ABORTED,
    /** An increment whose result leaves the signed 64-bit range, or is not a finite float: nothing written. */
    OVERFLOW,
    /** A write that would attach its key to a lease that does not exist (expired, revoked, never granted). */
    LEASE_NOT_FOUND;

    /** Whether the write changed the store. */
    public boolean applied() {
        return this == CREATED || this == REPLACED || this == DELETED;
    }
}
