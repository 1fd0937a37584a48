package dev.kvstore.store;

import java.time.Duration;
import java.util.Objects;

/**
 * How many idempotency records the store remembers: none older than {@code retention} behind the latest record,
 * at most {@code maxKeys} of them, and at most {@code maxBytes} as they take the log; the oldest go first. These
 * bounds are part of what the store decides by (a record dropped no longer answers a repeat), so every replica of a
 * store must use the same ones, as it must use the same key and value limits.
 */
public record IdempotencyOptions(Duration retention, int maxKeys, long maxBytes) {

    public static final Duration DEFAULT_RETENTION = Duration.ofHours(24);
    public static final int DEFAULT_MAX_KEYS = 100_000;
    public static final long DEFAULT_MAX_BYTES = 16L << 20;
    public static final IdempotencyOptions DEFAULT = new IdempotencyOptions(DEFAULT_RETENTION, DEFAULT_MAX_KEYS,
            DEFAULT_MAX_BYTES);

    public IdempotencyOptions {
        Objects.requireNonNull(retention, "retention");
        if (retention.isNegative() || retention.isZero() || maxKeys < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("retention, maxKeys and maxBytes must be positive");
        }
    }
}
