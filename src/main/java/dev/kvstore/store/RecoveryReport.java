package dev.kvstore.store;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What the last recovery did.
 *
 * @param framesReplayed sound frames applied to the index
 * @param validBytes     length of the log after recovery
 * @param bytesCut       bytes cut from the end (a torn tail, or everything from the damage on after a repair)
 * @param cutReason      why they were cut, or {@code null}
 * @param setAside       the file the cut bytes or the original log were copied to first, or {@code null}
 * @param repaired       whether mid-log damage was cut under {@code kv.recovery.repair}
 */
public record RecoveryReport(Path log, boolean created, long framesReplayed, long validBytes, long bytesCut,
                             FrameDefect cutReason, Path setAside, boolean repaired, Duration duration) {
}
