package dev.kvstore.store;

/**
 * The store cannot take the write: the log failed (disk full, I/O error) and the store is read-only until it is
 * restarted, or it is closed. Nothing of the refused write was applied in memory.
 */
public final class StoreUnavailableException extends RuntimeException {

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
