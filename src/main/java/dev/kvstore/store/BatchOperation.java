package dev.kvstore.store;

import java.util.Objects;

/**
 * One operation of a batch: a set of {@code value}, or a delete when {@code value} is {@code null}. A set leaves the
 * key with the lease {@code lease} says ({@link KeyLease#NONE}, the default, detaches it, as a PUT does).
 */
public record BatchOperation(String key, Value value, Precondition precondition, KeyLease lease) {

    public BatchOperation {
        Objects.requireNonNull(key, "key");
        precondition = precondition == null ? Precondition.NONE : precondition;
        lease = lease == null || value == null ? KeyLease.NONE : lease;
    }

    public BatchOperation(String key, Value value, Precondition precondition) {
        this(key, value, precondition, KeyLease.NONE);
    }

    public static BatchOperation set(String key, Value value, Precondition precondition) {
        return new BatchOperation(key, Objects.requireNonNull(value, "value"), precondition);
    }

    /** A set that attaches the key to {@code lease} (see {@link KeyLease}). */
    public static BatchOperation set(String key, Value value, Precondition precondition, KeyLease lease) {
        return new BatchOperation(key, Objects.requireNonNull(value, "value"), precondition, lease);
    }

    public static BatchOperation delete(String key, Precondition precondition) {
        return new BatchOperation(key, null, precondition);
    }

    public boolean isDelete() {
        return value == null;
    }
}
