package dev.kvstore.store;

/**
 * One key's change by a decided command: what it held before ({@code null}: no value) and what it holds after
 * ({@code null}: deleted). The index, its counters and the change feed ({@link ChangeFeed}) consume these, in log
 * order.
 */
public record Change(String key, Entry previous, Entry current) {

    /** What a change did to its key. */
    public enum Op {
        /** The key was set (created or replaced): {@link #current()} is its entry. */
        PUT,
        /** The key was deleted: {@link #current()} is {@code null}. */
        DELETE
    }

    public Op op() {
        return current == null ? Op.DELETE : Op.PUT;
    }

    boolean isDelete() {
        return current == null;
    }
}
