package dev.kvstore.store;

import java.time.Duration;
import java.time.Instant;

/**
 * What one compaction did.
 *
 * @param bytesBefore the log's size when it started
 * @param bytesAfter  the new log's size (the old one's on failure)
 * @param liveBytes   the frames of the live entries when it ended: what a log with nothing else would hold
 * @param entries     live entries written to the new log
 * @param duration    from start to end
 * @param pause       how long writes were held back while the new log took over (reads never are)
 * @param failure     why it failed, or {@code null}
 */
public record CompactionResult(Trigger trigger, Outcome outcome, Instant startedAt, long bytesBefore, long bytesAfter,
                               long liveBytes, long entries, Duration duration, Duration pause, String failure) {

    public enum Trigger { AUTO, MANUAL }

    public enum Outcome { COMPLETED, FAILED }

    public boolean completed() {
        return outcome == Outcome.COMPLETED;
    }
}
