package dev.kvstore.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How to open a store.
 *
 * @param dataDir            directory holding {@code kvstore.log}; created when missing
 * @param sync               when the log is forced
 * @param syncInterval       force period under {@link SyncMode#INTERVAL}
 * @param magic              magic byte written to and expected in every frame
 * @param maxKeyBytes        longest key, in UTF-8 bytes
 * @param maxValueBytes      largest value, in bytes (UTF-8 bytes for strings)
 * @param maxBatchOperations most operations in one batch
 * @param maxBatchBytes      largest batch, as the bytes of its operations in the log (18 each plus key and value)
 * @param repair             on mid-log damage, keep the valid prefix (after copying the original aside) instead of
 *                           refusing
 * @param compaction         when compaction starts on its own
 * @param restoreFrom        a snapshot to fill the data directory from when its log is missing or empty, or
 *                           {@code null}
 */
public record StoreOptions(Path dataDir, SyncMode sync, Duration syncInterval, byte magic, int maxKeyBytes,
                           int maxValueBytes, int maxBatchOperations, int maxBatchBytes, boolean repair,
                           StoreObserver observer, CompactionPolicy compaction, Path restoreFrom) {

    public static final String LOG_FILE_NAME = "kvstore.log";
    public static final int DEFAULT_MAX_BATCH_OPERATIONS = 128;
    public static final int DEFAULT_MAX_BATCH_BYTES = 16 << 20;

    public StoreOptions {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(sync, "sync");
        Objects.requireNonNull(observer, "observer");
        Objects.requireNonNull(compaction, "compaction");
        if (sync == SyncMode.INTERVAL && (syncInterval == null || syncInterval.isNegative() || syncInterval.isZero())) {
            throw new IllegalArgumentException("syncInterval must be positive under INTERVAL");
        }
        if (maxKeyBytes < 1 || maxValueBytes < 0) {
            throw new IllegalArgumentException("maxKeyBytes must be at least 1 and maxValueBytes at least 0");
        }
        if (maxBatchOperations < 1 || maxBatchBytes < 0) {
            throw new IllegalArgumentException("maxBatchOperations must be at least 1 and maxBatchBytes at least 0");
        }
    }

    /**
     * The defaults: sync always, magic 0xAA, keys up to 1 KiB, values up to 4 MiB, batches of up to 128 operations
     * and 16 MiB, no repair, automatic compaction from 64 MiB at twice the live data, no restore.
     */
    public static StoreOptions defaults(Path dataDir) {
        return new StoreOptions(dataDir, SyncMode.ALWAYS, Duration.ofSeconds(1), (byte) 0xAA, 1024, 4 * 1024 * 1024,
                DEFAULT_MAX_BATCH_OPERATIONS, DEFAULT_MAX_BATCH_BYTES, false, StoreObserver.NONE,
                CompactionPolicy.DEFAULT, null);
    }

    public StoreOptions withSync(SyncMode mode, Duration interval) {
        return new StoreOptions(dataDir, mode, interval, magic, maxKeyBytes, maxValueBytes, maxBatchOperations,
                maxBatchBytes, repair, observer, compaction, restoreFrom);
    }

    public StoreOptions withMagic(byte magic) {
        return new StoreOptions(dataDir, sync, syncInterval, magic, maxKeyBytes, maxValueBytes, maxBatchOperations,
                maxBatchBytes, repair, observer, compaction, restoreFrom);
    }

    public StoreOptions withLimits(int maxKeyBytes, int maxValueBytes) {
        return new StoreOptions(dataDir, sync, syncInterval, magic, maxKeyBytes, maxValueBytes, maxBatchOperations,
                maxBatchBytes, repair, observer, compaction, restoreFrom);
    }

    public StoreOptions withBatchLimits(int maxBatchOperations, int maxBatchBytes) {
        return new StoreOptions(dataDir, sync, syncInterval, magic, maxKeyBytes, maxValueBytes, maxBatchOperations,
                maxBatchBytes, repair, observer, compaction, restoreFrom);
    }

    public StoreOptions withRepair(boolean repair) {
        return new StoreOptions(dataDir, sync, syncInterval, magic, maxKeyBytes, maxValueBytes, maxBatchOperations,
                maxBatchBytes, repair, observer, compaction, restoreFrom);
    }

    public StoreOptions withObserver(StoreObserver observer) {
        return new StoreOptions(dataDir, sync, syncInterval, magic, maxKeyBytes, maxValueBytes, maxBatchOperations,
                maxBatchBytes, repair, observer, compaction, restoreFrom);
    }

    public StoreOptions withCompaction(CompactionPolicy compaction) {
        return new StoreOptions(dataDir, sync, syncInterval, magic, maxKeyBytes, maxValueBytes, maxBatchOperations,
                maxBatchBytes, repair, observer, compaction, restoreFrom);
    }

    public StoreOptions withRestoreFrom(Path snapshot) {
        return new StoreOptions(dataDir, sync, syncInterval, magic, maxKeyBytes, maxValueBytes, maxBatchOperations,
                maxBatchBytes, repair, observer, compaction, snapshot);
    }

    public Path logFile() {
        return dataDir.resolve(LOG_FILE_NAME);
    }

    LogFormat format() {
        return new LogFormat(magic, maxKeyBytes, maxValueBytes, maxBatchBytes);
    }
}
