package dev.kvstore.store;

/**
 * One key's change by a decided command: what it held before ({@code null}: no value) and what it holds after
 * ({@code null}: deleted), and how: {@link Op#PUT} (set, created or replaced, by a write), {@link Op#DELETE}
 * (deleted by a write, or by the revoke of its lease) or {@link Op#EXPIRE} (deleted because its lease expired). The
 * index, its counters, the lease table and the change feed ({@link ChangeFeed}) consume these, in log order.
 */
public record Change(String key, Entry previous, Entry current, Op op) {

    /** What a change did to its key. */
    public enum Op {
        /** The key was set (created or replaced) by a write: {@link #current()} is its entry. */
        PUT,
        /** The key was deleted by a write, or by the revoke of its lease: {@link #current()} is {@code null}. */
        DELETE,
        /** The key was deleted because its lease expired: {@link #current()} is {@code null}. */
        EXPIRE
    }

    /** A change by a write: a put, or a delete when {@code current} is {@code null}. */
    Change(String key, Entry previous, Entry current) {
        this(key, previous, current, current == null ? Op.DELETE : Op.PUT);
    }

    boolean isDelete() {
        return current == null;
    }
}
