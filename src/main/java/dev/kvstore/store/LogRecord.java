package dev.kvstore.store;

/** One decoded frame: a SET of {@code value} to {@code key}, or a DELETE when {@code value} is null. */
record LogRecord(String key, Value value) {
    boolean isDelete() {
        return value == null;
    }
}
