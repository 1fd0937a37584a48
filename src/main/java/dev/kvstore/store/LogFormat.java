package dev.kvstore.store;

/**
 * What a log's frames must look like to belong to this store: the magic and version bytes it writes and accepts,
 * and the key and value limits that bound every allocation made while reading.
 */
record LogFormat(byte magic, byte version, int maxKeyBytes, int maxValueBytes) {

    LogFormat {
        if (maxKeyBytes < 1 || maxValueBytes < 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }

    /** The longest {@code total_len} a frame within the limits can have. */
    long maxTotalLength() {
        return Frame.FIXED_TOTAL_LEN + (long) maxKeyBytes + maxValueBytes;
    }
}
