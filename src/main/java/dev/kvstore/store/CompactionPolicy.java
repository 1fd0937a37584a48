package dev.kvstore.store;

/**
 * When compaction starts on its own, like Redis's {@code auto-aof-rewrite-*}: once the log is larger than
 * {@code minBytes} and larger than {@code ratio} times the live data.
 *
 * @param auto     whether compaction ever starts on its own (it can always be asked for)
 * @param minBytes the log size below which it never starts on its own
 * @param ratio    how many times the live bytes the log must exceed; at least 1
 */
public record CompactionPolicy(boolean auto, long minBytes, double ratio) {

    /** Automatic, from 64 MiB, at twice the live data. */
    public static final CompactionPolicy DEFAULT = new CompactionPolicy(true, 64L << 20, 2.0);

    public CompactionPolicy {
        if (minBytes < 0 || !(ratio >= 1.0) || Double.isInfinite(ratio)) {
            throw new IllegalArgumentException("minBytes must be at least 0 and ratio a finite number of at least 1");
        }
    }

    /** Whether a log of {@code logBytes} holding {@code liveBytes} of live frames is due for compaction. */
    boolean isDue(long logBytes, long liveBytes) {
        return auto && logBytes > minBytes && logBytes > ratio * liveBytes;
    }
}
