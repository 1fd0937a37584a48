package dev.kvstore.store;

import java.io.IOException;

/**
 * Makes a new, complete and forced file the log, in the one order in which a crash at any step recovers exactly the
 * acknowledged state (compaction's steps 5 to 8, see {@link Compactor}):
 * <ol>
 *   <li>Force the old log too, and write the forced mark for the new file. With both files wholly forced, that mark
 *       is true of whichever of them a crash leaves under the log's name, so recovery can always tell the trace of a
 *       crash from damage.</li>
 *   <li>Rename the new file to the log's name, atomically replacing the old log. If that fails, the mark speaks for
 *       the old log again and the old log stays in use.</li>
 *   <li>Force the directory. Only after this can a write to the new log be acknowledged: if it fails, whether the
 *       rename is durable is unknown, so the log fails (no more writes) after the switch.</li>
 *   <li>Switch the writer to the new log and close the old one.</li>
 * </ol>
 * It runs on the writer thread between two groups ({@link GroupCommitWriter#runExclusive}), holding the log's
 * monitor, so that nothing is written, forced or marked meanwhile.
 */
final class LogSwitch {

    private final DataDirectory dir;
    private final ActiveLog log;
    private final MarkKeeper marks;

    LogSwitch(DataDirectory dir, ActiveLog log, MarkKeeper marks) {
        this.dir = dir;
        this.log = log;
        this.marks = marks;
    }

    /**
     * Makes {@code next}, the file {@link DataDirectory#compacting()} whose {@code length} bytes are all forced, the
     * log. When this throws, {@code next} is still the log's if the rename happened ({@code log.channel() == next}),
     * and the log has failed; otherwise the old log is still in use and {@code next} is the caller's to discard.
     */
    void switchTo(LogChannel next, long length) throws IOException {
        forceOldLog();
        marks.writeFor(next, length);
        try {
            dir.storage().move(dir.compacting(), dir.log());
        } catch (IOException | RuntimeException e) {
            marks.restore();
            throw e;
        }
        try {
            dir.force();
        } catch (IOException | RuntimeException e) {
            adopt(next, length);
            log.fail(e);
            throw e;
        }
        adopt(next, length);
    }

    /** Forces all of the old log, or fails it as any failed force does. */
    private void forceOldLog() throws IOException {
        if (log.forced() != log.written() && !log.force()) {
            Throwable f = log.failure();
            throw f instanceof IOException e ? e : new IOException(f);
        }
    }

    private void adopt(LogChannel next, long length) {
        log.replace(next, length);
        marks.reset(length);
    }
}
