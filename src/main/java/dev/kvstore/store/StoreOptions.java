package dev.kvstore.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

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
 * @param writeTimeout       how long a caller waits for its write to be acknowledged before it is told that the
 *                           outcome is unknown (the write may still be applied later)
 * @param keepCopies         how many of the files recovery set aside ({@code torn-*}, {@code corrupt-*}) are kept
 * @param keepCopiesBytes    how many bytes those kept files may take together; the copy made at this start is
 *                           always kept
 * @param compressionMinBytes strings of at least this many UTF-8 bytes are stored compressed in the log (when that
 *                           makes them smaller); {@link Integer#MAX_VALUE} stores none compressed
 * @param idempotency        how many idempotency records are remembered, and for how long
 * @param historyRetention   how much of the change feed's history is kept, in the weight of its events (about the
 *                           heap they take; see {@link ChangeFeed}); the log keeps their frames too
 */
public record StoreOptions(Path dataDir, SyncMode sync, Duration syncInterval, byte magic, int maxKeyBytes,
                           int maxValueBytes, int maxBatchOperations, int maxBatchBytes, boolean repair,
                           StoreObserver observer, CompactionPolicy compaction, Path restoreFrom,
                           Duration writeTimeout, int keepCopies, long keepCopiesBytes, int compressionMinBytes,
                           IdempotencyOptions idempotency, long historyRetention) {

    public static final String LOG_FILE_NAME = "kvstore.log";

    // The defaults, declared here only: the service's configuration (kv.*) and the offline tool take them from here.
    public static final SyncMode DEFAULT_SYNC = SyncMode.ALWAYS;
    public static final Duration DEFAULT_SYNC_INTERVAL = Duration.ofSeconds(1);
    public static final byte DEFAULT_MAGIC = (byte) 0xAA;
    public static final int DEFAULT_MAX_KEY_BYTES = 1024;
    public static final int DEFAULT_MAX_VALUE_BYTES = 4 << 20;
    public static final int DEFAULT_MAX_BATCH_OPERATIONS = 128;
    public static final int DEFAULT_MAX_BATCH_BYTES = 16 << 20;
    public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_KEEP_COPIES = 5;
    public static final long DEFAULT_KEEP_COPIES_BYTES = 256L << 20;
    /** The history's retention is this, or a sixteenth of the heap when that is less. */
    public static final long DEFAULT_HISTORY_RETENTION_CAP = 64L << 20;
    private static final int HISTORY_HEAP_SHARE = 16;

    /** The default history retention: 64 MiB, or a sixteenth of the maximum heap when that is less. */
    public static long defaultHistoryRetention() {
        return Math.min(DEFAULT_HISTORY_RETENTION_CAP, Runtime.getRuntime().maxMemory() / HISTORY_HEAP_SHARE);
    }

    public static final int DEFAULT_COMPRESSION_MIN_BYTES = 1024;

    public StoreOptions {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(sync, "sync");
        Objects.requireNonNull(observer, "observer");
        Objects.requireNonNull(compaction, "compaction");
        Objects.requireNonNull(idempotency, "idempotency");
        if (sync == SyncMode.INTERVAL && (syncInterval == null || syncInterval.isNegative() || syncInterval.isZero())) {
            throw new IllegalArgumentException("syncInterval must be positive under INTERVAL");
        }
        if (maxKeyBytes < 1 || maxValueBytes < 0) {
            throw new IllegalArgumentException("maxKeyBytes must be at least 1 and maxValueBytes at least 0");
        }
        if (maxBatchOperations < 1 || maxBatchBytes < 0) {
            throw new IllegalArgumentException("maxBatchOperations must be at least 1 and maxBatchBytes at least 0");
        }
        Objects.requireNonNull(writeTimeout, "writeTimeout");
        if (writeTimeout.isNegative() || writeTimeout.isZero()) {
            throw new IllegalArgumentException("writeTimeout must be positive");
        }
        if (keepCopies < 0 || keepCopiesBytes < 0) {
            throw new IllegalArgumentException("keepCopies and keepCopiesBytes must not be negative");
        }
        if (historyRetention < 1) {
            throw new IllegalArgumentException("historyRetention must be positive");
        }
        if (compressionMinBytes < 0) {
            throw new IllegalArgumentException("compressionMinBytes must not be negative");
        }
    }

    /**
     * The defaults: sync always, magic 0xAA, keys up to 1 KiB, values up to 4 MiB, batches of up to 128 operations
     * and 16 MiB, no repair, automatic compaction from 64 MiB at twice the live data, no restore, writes answered
     * within 30 s, the newest 5 set-aside copies kept within 256 MiB, strings from 1 KiB up stored compressed,
     * idempotency records for 24 h, at most 100,000 of them within 16 MiB, a history of
     * {@link #defaultHistoryRetention()}.
     */
    public static StoreOptions defaults(Path dataDir) {
        return new StoreOptions(dataDir, DEFAULT_SYNC, DEFAULT_SYNC_INTERVAL, DEFAULT_MAGIC, DEFAULT_MAX_KEY_BYTES,
                DEFAULT_MAX_VALUE_BYTES, DEFAULT_MAX_BATCH_OPERATIONS, DEFAULT_MAX_BATCH_BYTES, false, StoreObserver.NONE,
                CompactionPolicy.DEFAULT, null, DEFAULT_WRITE_TIMEOUT, DEFAULT_KEEP_COPIES,
                DEFAULT_KEEP_COPIES_BYTES, DEFAULT_COMPRESSION_MIN_BYTES, IdempotencyOptions.DEFAULT,
                defaultHistoryRetention());
    }

    public StoreOptions withSync(SyncMode mode, Duration interval) {
        return with(o -> {
            o.sync = mode;
            o.syncInterval = interval;
        });
    }

    public StoreOptions withMagic(byte magic) {
        return with(o -> o.magic = magic);
    }

    public StoreOptions withLimits(int maxKeyBytes, int maxValueBytes) {
        return with(o -> {
            o.maxKeyBytes = maxKeyBytes;
            o.maxValueBytes = maxValueBytes;
        });
    }

    public StoreOptions withBatchLimits(int maxBatchOperations, int maxBatchBytes) {
        return with(o -> {
            o.maxBatchOperations = maxBatchOperations;
            o.maxBatchBytes = maxBatchBytes;
        });
    }

    public StoreOptions withRepair(boolean repair) {
        return with(o -> o.repair = repair);
    }

    public StoreOptions withObserver(StoreObserver observer) {
        return with(o -> o.observer = observer);
    }

    public StoreOptions withCompaction(CompactionPolicy compaction) {
        return with(o -> o.compaction = compaction);
    }

    public StoreOptions withRestoreFrom(Path snapshot) {
        return with(o -> o.restoreFrom = snapshot);
    }

    public StoreOptions withWriteTimeout(Duration timeout) {
        return with(o -> o.writeTimeout = timeout);
    }

    public StoreOptions withKeptCopies(int copies, long bytes) {
        return with(o -> {
            o.keepCopies = copies;
            o.keepCopiesBytes = bytes;
        });
    }

    public StoreOptions withHistoryRetention(long bytes) {
        return with(o -> o.historyRetention = bytes);
    }

    /** Strings of at least {@code minBytes} UTF-8 bytes stored compressed; {@link Integer#MAX_VALUE}: none. */
    public StoreOptions withCompression(int minBytes) {
        return with(o -> o.compressionMinBytes = minBytes);
    }

    public StoreOptions withIdempotency(IdempotencyOptions idempotency) {
        return with(o -> o.idempotency = idempotency);
    }

    /** These options with {@code change} made to a copy; the copy is validated as a whole. */
    private StoreOptions with(Consumer<Editable> change) {
        Editable e = new Editable(this);
        change.accept(e);
        return e.toOptions();
    }

    /** The one place that lists every component for the {@code with...} methods. */
    private static final class Editable {
        Path dataDir;
        SyncMode sync;
        Duration syncInterval;
        byte magic;
        int maxKeyBytes;
        int maxValueBytes;
        int maxBatchOperations;
        int maxBatchBytes;
        boolean repair;
        StoreObserver observer;
        CompactionPolicy compaction;
        Path restoreFrom;
        Duration writeTimeout;
        int keepCopies;
        long keepCopiesBytes;
        int compressionMinBytes;
        IdempotencyOptions idempotency;
        long historyRetention;

        Editable(StoreOptions o) {
            dataDir = o.dataDir;
            sync = o.sync;
            syncInterval = o.syncInterval;
            magic = o.magic;
            maxKeyBytes = o.maxKeyBytes;
            maxValueBytes = o.maxValueBytes;
            maxBatchOperations = o.maxBatchOperations;
            maxBatchBytes = o.maxBatchBytes;
            repair = o.repair;
            observer = o.observer;
            compaction = o.compaction;
            restoreFrom = o.restoreFrom;
            writeTimeout = o.writeTimeout;
            keepCopies = o.keepCopies;
            keepCopiesBytes = o.keepCopiesBytes;
            compressionMinBytes = o.compressionMinBytes;
            idempotency = o.idempotency;
            historyRetention = o.historyRetention;
        }

        StoreOptions toOptions() {
            return new StoreOptions(dataDir, sync, syncInterval, magic, maxKeyBytes, maxValueBytes,
                    maxBatchOperations, maxBatchBytes, repair, observer, compaction, restoreFrom, writeTimeout,
                    keepCopies, keepCopiesBytes, compressionMinBytes, idempotency, historyRetention);
        }
    }

    public Path logFile() {
        return dataDir.resolve(LOG_FILE_NAME);
    }

    LogFormat format() {
        return new LogFormat(magic, maxKeyBytes, maxValueBytes, maxBatchBytes);
    }
}
