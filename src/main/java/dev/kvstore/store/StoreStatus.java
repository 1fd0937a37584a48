package dev.kvstore.store;

import java.nio.file.Path;

/**
 * A snapshot of the store's health.
 *
 * @param logBytes bytes of the log written so far (the sound prefix plus everything appended)
 * @param failure  why the store stopped taking writes, or {@code null} while it is writable
 */
public record StoreStatus(Path log, long logBytes, int liveKeys, SyncMode syncMode, boolean writable, String failure,
                          RecoveryReport lastRecovery) {
}
