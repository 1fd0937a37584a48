package dev.kvstore.store;

/**
 * The idempotency records at one moment.
 *
 * @param keys    records remembered
 * @param bytes   what they take in the log, which {@link IdempotencyOptions#maxBytes()} bounds
 * @param replays repeats answered from a record since this process started
 * @param options the bounds
 */
public record IdempotencyStatus(int keys, long bytes, long replays, IdempotencyOptions options) {
}
