package dev.kvstore.store;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * The recovery policy, in one place. Replays the log into the index and then, by what the first bad frame is:
 * <ol>
 *   <li><b>none</b>: the whole file is sound; nothing changes.</li>
 *   <li><b>a forced mark past the end</b> ({@link Diagnosis.Mark#PAST_END}): the mark of this log says more bytes
 *       were forced than the log holds. No crash shrinks a log below what was forced, so forced data is missing:
 *       refuse with {@link LogCorruptedException}, whatever the frames look like.</li>
 *   <li><b>a frame of another magic or version</b> with a sound envelope: the file belongs to another store or
 *       release; refuse with {@link IncompatibleLogException}, file untouched, whatever {@code repair} says.</li>
 *   <li><b>a frame whose envelope is sound but which this store cannot read</b> (its length does not fit the layout
 *       its version names, unknown op or encoding, over the limits, not UTF-8, bad revisions): some writer wrote
 *       exactly these bytes, so no crash made them. Damage.</li>
 *   <li><b>below the forced mark</b> ({@link ForcedMark}, when there is one that belongs to the log): those bytes
 *       were forced, so no crash can have damaged them. Damage.</li>
 *   <li><b>more than one write call from the end, under {@code always}</b>: when the mark says the log is written
 *       under {@code always}, at most one write call is ever unforced (a group of at most
 *       {@link GroupCommitWriter#GROUP_BYTES}, or one larger frame alone: the mark records the most it can be), whatever
 *       the mark's own lag. A bad frame with more bytes than that after it is not a crash trace. Damage. Without
 *       such a mark (written under {@code interval} or {@code none}, or no mark) a crash can leave any amount
 *       unforced, and the cut is not bounded.</li>
 *   <li><b>a torn tail</b>: a bad envelope (short, impossible length, bad CRC) with no frame whose envelope is
 *       sound anywhere after it ({@link LogScanner#findFrameAfter}, linear in the bytes searched), the normal trace
 *       of a crash mid-write. Cut it.</li>
 *   <li><b>a lost write</b>: a bad envelope followed by a sound frame, where the bytes between show what a write
 *       that never reached the disk leaves: a whole sector of zeros, or a frame cut short with zeros from there
 *       right up to the sound frame (see {@link LogScanner#isLostWrite}). After a power cut, later bytes can be on
 *       disk while earlier ones are not, if they were not forced; so everything from the bad frame on was never
 *       acknowledged under {@code always} (it is past the forced part, within one write call), and lies in the loss
 *       window of the other modes. Cut it.</li>
 *   <li><b>damage</b>: any other bad frame followed by one whose envelope is sound, or a search that could not tell
 *       (too many frame-like headers to check within its budget). Cutting would drop acknowledged writes, so
 *       refuse with {@link LogCorruptedException}, file untouched, unless {@code repair} is set: then cut, after
 *       copying the whole original aside.</li>
 * </ol>
 * Every cut first copies what it removes to a new file beside the log ({@code kvstore.log.torn-<time>} with the cut
 * bytes, or {@code kvstore.log.corrupt-<time>} with the whole original for a repair), forces that file and the
 * directory; a forced mark above the cut is lowered to it (or, if it belongs to another log, removed); and only then
 * is the log truncated to the end of the last sound frame and forced. So nothing is ever cut before it is durable
 * elsewhere, and a crash during recovery leaves a log that recovers the same way.
 *
 * <p>{@link #examine} finds the {@link Diagnosis} without changing anything; the server, the offline tool
 * ({@link LogInspector}) and a restore all judge a log by it.
 */
final class LogRecovery {

    private final DataDirectory dir;
    private final LogFormat format;
    private final boolean repair;
    private final Clock clock;

    LogRecovery(DataDirectory dir, LogFormat format, boolean repair, Clock clock) {
        this.dir = dir;
        this.format = format;
        this.repair = repair;
        this.clock = clock;
    }

    /**
     * Recovers the open log {@code channel}, feeding every sound frame to {@code sink} in log order, with its place.
     *
     * @param mark the {@link ForcedMark} kept beside the log, or {@code null}
     */
    RecoveryReport recover(LogChannel channel, ForcedMark mark, boolean created, boolean restored,
                           LogScanner.FrameRuns sink) throws IOException {
        long started = System.nanoTime();
        Diagnosis d = examine(channel, format, mark, sink);
        Path aside = null;
        switch (d.kind()) {
            case SOUND:
                break;
            case TORN_TAIL:
            case LOST_WRITE:
                aside = dir.setAside(channel, d.validBytes(), d.size(), DataDirectory.TORN, clock.instant());
                cut(channel, d, mark);
                break;
            case INCOMPATIBLE:
                throw new IncompatibleLogException(dir.log(), d.foreignOffset(), (byte) d.foundMagic(),
                        (byte) d.foundVersion(), format);
            default:
                if (!repair) {
                    throw new LogCorruptedException(dir.log(), d);
                }
                aside = dir.setAside(channel, 0, d.size(), DataDirectory.CORRUPT, clock.instant());
                cut(channel, d, mark);
        }
        return new RecoveryReport(dir.log(), created, restored, d, d.kind() == Diagnosis.Kind.DAMAGE, aside,
                Duration.ofNanos(System.nanoTime() - started));
    }

    /**
     * What the log holds and what recovery would do with it, without changing anything: the one place that
     * classifies a bad frame.
     *
     * @param mark the {@link ForcedMark} kept beside the log, or {@code null}
     * @param sink receives every sound frame before the first bad one, in order
     */
    static Diagnosis examine(LogChannel channel, LogFormat format, ForcedMark mark, LogScanner.FrameSink sink)
            throws IOException {
        return examine(channel, format, mark, LogScanner.decoding(sink));
    }

    /** As above, with the sound frames handed over in runs of bytes, as replay takes them. */
    static Diagnosis examine(LogChannel channel, LogFormat format, ForcedMark mark, LogScanner.FrameRuns sink)
            throws IOException {
        long size = channel.size();
        Diagnosis.Mark fit = mark == null ? Diagnosis.Mark.NONE : mark.fit(channel, size);
        boolean belongs = fit == Diagnosis.Mark.MATCHED || fit == Diagnosis.Mark.PAST_END;
        Facts facts = new Facts(size, fit, belongs ? mark : null);
        LogScanner scanner = new LogScanner(channel, format, size);
        LogScanner.Result scan = scanner.scan(sink);
        long offset = scan.validBytes();
        if (fit == Diagnosis.Mark.PAST_END) {
            return facts.damage(scan, LogCorruptedException.Reason.FORCED_DATA_MISSING, -1);
        }
        if (scan.clean()) {
            return facts.diagnosis(Diagnosis.Kind.SOUND, scan, null, -1, null);
        }
        if (scan.defect().isForeign()) {
            return facts.diagnosis(Diagnosis.Kind.INCOMPATIBLE, scan, null, -1, scan);
        }
        if (scan.defect().isChecksummed()) {
            return facts.damage(scan, LogCorruptedException.Reason.UNREADABLE, -1);
        }
        if (offset < facts.forced()) {
            return facts.damage(scan, LogCorruptedException.Reason.BELOW_FORCED_MARK, -1);
        }
        if (facts.sync() == SyncMode.ALWAYS && size - offset > facts.maxWrite()) {
            return facts.damage(scan, LogCorruptedException.Reason.MORE_THAN_ONE_WRITE, -1);
        }
        LogScanner.Search after = scanner.findFrameAfter(offset);
        switch (after.outcome()) {
            case NONE:
                return facts.diagnosis(Diagnosis.Kind.TORN_TAIL, scan, null, -1, null);
            case UNDECIDED:
                return facts.damage(scan, LogCorruptedException.Reason.UNDECIDED, -1);
            default:
                long next = after.frame().validBytes();
                if (after.frame().defect() != null && after.frame().defect().isForeign()) {
                    return facts.diagnosis(Diagnosis.Kind.INCOMPATIBLE, scan, null, next, after.frame());
                }
                return scanner.isLostWrite(offset, next) ? facts.diagnosis(Diagnosis.Kind.LOST_WRITE, scan, null, next,
                        null) : facts.damage(scan, LogCorruptedException.Reason.FRAME_FOLLOWS, next);
        }
    }

    /** What is known of the log besides its frames: its size, and the forced mark that belongs to it, if any. */
    private record Facts(long size, Diagnosis.Mark fit, ForcedMark mark) {

        long forced() {
            return mark == null ? -1 : mark.forced();
        }

        SyncMode sync() {
            return mark == null ? null : mark.sync();
        }

        long maxWrite() {
            return mark == null ? -1 : Integer.toUnsignedLong(mark.maxWrite());
        }

        Diagnosis damage(LogScanner.Result scan, LogCorruptedException.Reason reason, long next) {
            return diagnosis(Diagnosis.Kind.DAMAGE, scan, reason, next, null);
        }

        Diagnosis diagnosis(Diagnosis.Kind kind, LogScanner.Result scan, LogCorruptedException.Reason reason,
                            long next, LogScanner.Result foreign) {
            return new Diagnosis(kind, size, scan.validBytes(), scan.frames(), scan.defect(), reason, next, fit,
                    forced(), sync(), maxWrite(), foreign == null ? -1 : foreign.validBytes(),
                    foreign == null ? 0 : foreign.foundMagic() & 0xFF, foreign == null ? 0 : foreign.foundVersion() & 0xFF);
        }
    }

    /** The explicit repair of the offline tool: copy the whole original aside, then cut to the valid prefix. */
    Path cutKeepingOriginal(LogChannel channel, Diagnosis d, ForcedMark mark) throws IOException {
        Path original = dir.setAside(channel, 0, d.size(), DataDirectory.ORIGINAL, clock.instant());
        cut(channel, d, mark);
        return original;
    }

    /**
     * Truncates the log to its valid prefix and forces it. A mark that would then be past the end is first lowered
     * to the cut (or, if it belongs to another log, removed), so that the cut never reads as missing forced data.
     */
    private void cut(LogChannel channel, Diagnosis d, ForcedMark mark) throws IOException {
        long size = d.validBytes();
        if (mark != null && d.mark() == Diagnosis.Mark.OTHER_LOG) {
            dir.removeMark();
        } else if (mark != null && mark.forced() > size) {
            dir.rewriteMark(mark.cutTo(channel, size));
        }
        channel.truncate(size);
        channel.force(true);
    }
}
