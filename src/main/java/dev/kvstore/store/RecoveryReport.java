package dev.kvstore.store;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What the last start did with the log: the {@link Diagnosis} recovery acted on, and what it did about it.
 *
 * @param created   the log did not exist and was created empty
 * @param restored  the log was missing or empty and was filled from {@code kv.restore.from} first
 * @param diagnosis what the log held, as found before anything was cut
 * @param repaired  damage was cut because {@code repair} was asked for ({@code diagnosis} says which)
 * @param setAside  the file the cut bytes (or, for a repair, the whole original) were copied to, or {@code null}
 */
public record RecoveryReport(Path log, boolean created, boolean restored, Diagnosis diagnosis, boolean repaired,
                             Path setAside, Duration duration) {

    /** Sound frames applied to the index. */
    public long framesReplayed() {
        return diagnosis.frames();
    }

    /** Length of the log after recovery: its sound prefix. */
    public long validBytes() {
        return diagnosis.validBytes();
    }

    /** Bytes cut from the end of the log. */
    public long bytesCut() {
        return diagnosis.badBytes();
    }
}
