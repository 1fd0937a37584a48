package dev.kvstore.store;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What the last recovery did.
 *
 * @param framesReplayed sound frames applied to the index
 * @param validBytes     length of the log after recovery
 * @param bytesCut       bytes cut from the end of the log
 * @param cut            why bytes were cut, if any
 * @param cutReason      what was wrong with the first frame cut, or {@code null}
 * @param setAside       the file the cut bytes (or, for a repair, the whole original) were copied to, or {@code null}
 */
public record RecoveryReport(Path log, boolean created, long framesReplayed, long validBytes, long bytesCut, Cut cut,
                             FrameDefect cutReason, Path setAside, Duration duration) {

    /** Why recovery cut the end of the log. */
    public enum Cut {
        /** Nothing was cut. */
        NONE,
        /** A torn write at the end: the normal trace of a crash during a write. */
        TORN_TAIL,
        /** A lost write (zeros where frames were written) with later, never-forced writes after it. */
        LOST_WRITE,
        /** Damage in the middle of the log, cut because {@code repair} was asked for. */
        REPAIR
    }

    public boolean repaired() {
        return cut == Cut.REPAIR;
    }
}
