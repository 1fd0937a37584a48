package dev.kvstore.store;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The store's health at one moment.
 *
 * @param logBytes      bytes of the log written so far (the sound prefix plus everything appended)
 * @param liveBytes     what a freshly compacted log holds: the frames of the live entries, and those of the change
 *                      feed's history it keeps
 * @param revision      the revision of the last write
 * @param writable      whether the last write reached the log: false after a failed force (until a restart), and
 *                      while the last append failed (until one succeeds)
 * @param failure       why the store is not writable, or {@code null}
 * @param retrying      the failure is a failed append that was cut back cleanly: the next write is tried again
 * @param busy          how long the writer has been busy with its current group (zero while idle)
 * @param writeTimeout  how long a caller waits for its write; a writer busy for longer is stalled
 * @param markedBytes   what the forced mark beside the log says was forced, as far as the store knows (-1 for the
 *                      moment while compaction switches files)
 * @param markFailure   why the last write of the forced mark failed, or {@code null}
 * @param setAside      the copies recovery set aside that this start kept, and those it pruned
 */
public record StoreStatus(Path log, long logBytes, long liveBytes, int liveKeys, long revision, SyncMode syncMode,
                          boolean writable, String failure, boolean retrying, Duration busy, Duration writeTimeout,
                          long markedBytes, String markFailure, RecoveryReport lastRecovery, SetAsideCopies setAside,
                          CompactionStats compaction) {

    /** The share of the log that compaction would drop, from 0 to 1. */
    public double deadRatio() {
        return logBytes <= 0 ? 0 : Math.max(0, 1 - (double) liveBytes / logBytes);
    }

    /** Whether the writer has been stuck on one group for longer than callers wait: the disk is not answering. */
    public boolean stalled() {
        return busy.compareTo(writeTimeout) > 0;
    }
}
