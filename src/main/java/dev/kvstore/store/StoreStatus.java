package dev.kvstore.store;

import java.nio.file.Path;

/**
 * The store's health at one moment.
 *
 * @param logBytes  bytes of the log written so far (the sound prefix plus everything appended)
 * @param liveBytes bytes the frames of the live entries take: what a freshly compacted log holds
 * @param revision  the revision of the last write
 * @param failure   why the store stopped taking writes, or {@code null} while it is writable
 */
public record StoreStatus(Path log, long logBytes, long liveBytes, int liveKeys, long revision, SyncMode syncMode,
                          boolean writable, String failure, RecoveryReport lastRecovery, CompactionStats compaction) {

    /** The share of the log that compaction would drop, from 0 to 1. */
    public double deadRatio() {
        return logBytes <= 0 ? 0 : Math.max(0, 1 - (double) liveBytes / logBytes);
    }
}
