package dev.kvstore.store;

import java.util.Objects;

/**
 * A key's value with its revisions: {@code revision} of its last change, {@code createRevision} of the write that
 * created it (a key deleted and set again is created again).
 */
public record Entry(Value value, long revision, long createRevision) {

    public Entry {
        Objects.requireNonNull(value, "value");
    }
}
