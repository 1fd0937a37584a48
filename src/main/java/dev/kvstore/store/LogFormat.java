package dev.kvstore.store;

/**
 * What a log's frames must look like to belong to this store: the magic byte it writes and accepts, and the limits
 * that bound every allocation made while reading. The version byte names the layout ({@link Frame}).
 *
 * @param maxBatchBytes largest value of a BATCH frame: its operations together
 */
record LogFormat(byte magic, int maxKeyBytes, int maxValueBytes, int maxBatchBytes) {

    LogFormat {
        if (maxKeyBytes < 1 || maxValueBytes < 0 || maxBatchBytes < 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }

    LogFormat(byte magic, int maxKeyBytes, int maxValueBytes) {
        this(magic, maxKeyBytes, maxValueBytes, StoreOptions.DEFAULT_MAX_BATCH_BYTES);
    }

    /** The longest {@code total_len} a frame within the limits can have. */
    long maxTotalLength() {
        return Frame.FIXED_TOTAL_LEN_V2 + maxItemsBytes();
    }

    /**
     * The largest value of a BATCH frame: a batch, or a single write as a batch of one, with room for leases and an
     * idempotency record ({@link Frame#EXTRA_BYTES}).
     */
    long maxItemsBytes() {
        return Math.max((long) maxKeyBytes + maxValueBytes, maxBatchBytes) + Frame.EXTRA_BYTES;
    }
}
