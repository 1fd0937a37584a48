package dev.kvstore.store;

import java.util.Objects;

/** One operation of a batch: a set of {@code value}, or a delete when {@code value} is {@code null}. */
public record BatchOperation(String key, Value value, Precondition precondition) {

    public BatchOperation {
        Objects.requireNonNull(key, "key");
        precondition = precondition == null ? Precondition.NONE : precondition;
    }

    public static BatchOperation set(String key, Value value, Precondition precondition) {
        return new BatchOperation(key, Objects.requireNonNull(value, "value"), precondition);
    }

    public static BatchOperation delete(String key, Precondition precondition) {
        return new BatchOperation(key, null, precondition);
    }

    public boolean isDelete() {
        return value == null;
    }
}
