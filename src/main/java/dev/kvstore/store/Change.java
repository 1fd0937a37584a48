package dev.kvstore.store;

/**
 * One key's change by a decided command: what it held before ({@code null}: no value) and what it holds after
 * ({@code null}: deleted). The index, its counters and (later) watchers consume these, in log order.
 */
record Change(String key, Entry previous, Entry current) {

    boolean isDelete() {
        return current == null;
    }
}
