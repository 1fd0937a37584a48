package dev.kvstore.store;

/** What a lease command did. */
public enum LeaseOutcome {
    GRANTED,
    /** Ended on request; its keys were deleted. */
    REVOKED,
    /** Ended by its deadline; its keys were deleted. */
    EXPIRED,
    /** No such lease: expired, revoked or never granted. Nothing written. */
    NOT_FOUND,
    /** A key attached to the lease is outside the caller's key prefix. Nothing written. */
    OUT_OF_SCOPE
}
