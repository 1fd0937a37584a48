package dev.kvstore.store;

/** A key, value, step or batch the store does not take. Nothing was written. */
public final class InvalidEntryException extends IllegalArgumentException {

    public enum Reason {
        EMPTY_KEY, KEY_TOO_LONG, VALUE_TOO_LARGE, NOT_UNICODE, NOT_FINITE, NOT_A_NUMBER,
        /** A batch with no operation, or two on one key. */
        INVALID_BATCH,
        /** A batch with more operations or bytes than the limits. */
        BATCH_TOO_LARGE,
        /** A lease's time to live out of range, a lease id that is not one, or a grant inside a batch. */
        INVALID_LEASE,
        /** An idempotency key that is not 1 to 255 visible ASCII characters, or a scope that is not 1 to 255 bytes. */
        INVALID_IDEMPOTENCY_KEY
    }

    private final Reason reason;

    public InvalidEntryException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
