package dev.kvstore.store;

/** A key or value the store does not take. Nothing was written. */
public final class InvalidEntryException extends IllegalArgumentException {

    public enum Reason { EMPTY_KEY, KEY_TOO_LONG, VALUE_TOO_LARGE, NOT_UNICODE, NOT_FINITE }

    private final Reason reason;

    public InvalidEntryException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
