package dev.kvstore.store;

/**
 * Compactions since the store opened.
 *
 * @param running   whether one is running now
 * @param completed how many completed
 * @param failed    how many started and failed (the old log stayed in place)
 * @param last      the last one's result, or {@code null}
 */
public record CompactionStats(boolean running, long completed, long failed, CompactionResult last) {
}
