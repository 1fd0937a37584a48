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
 * @param mark           what recovery made of the forced mark beside the log
 * @param markForced     bytes that mark vouched for, or -1 when it did not belong to the log or there was none
 * @param markSync       the sync mode that mark said the log was written under, or {@code null}
 */
public record RecoveryReport(Path log, boolean created, long framesReplayed, long validBytes, long bytesCut, Cut cut,
                             FrameDefect cutReason, Path setAside, Mark mark, long markForced, SyncMode markSync,
                             Duration duration) {

    /** Why recovery cut the end of the log. */
    public enum Cut {
        /** Nothing was cut. */
        NONE,
        /** A torn write at the end: the normal trace of a crash during a write. */
        TORN_TAIL,
        /** A lost write (zeros where frames were written) with later, never-forced writes after it. */
        LOST_WRITE,
        /** Damage, cut because {@code repair} was asked for. */
        REPAIR
    }

    /** The forced mark beside the log, as recovery found it. */
    public enum Mark {
        /** There was none (a new store, or a log placed by hand), or it was not intact. */
        NONE,
        /** It belonged to the log, and recovery used it. */
        MATCHED,
        /** It described another log (placed here by hand, or the other side of a compaction's switch): ignored. */
        OTHER_LOG,
        /** It said more was forced than the log held, and {@code repair} started anyway. */
        PAST_END;

        static Mark of(ForcedMark.Fit fit) {
            if (fit == null) {
                return NONE;
            }
            return switch (fit) {
                case MATCHES -> MATCHED;
                case OTHER_LOG -> OTHER_LOG;
                case PAST_END -> PAST_END;
            };
        }
    }

    public boolean repaired() {
        return cut == Cut.REPAIR;
    }
}
