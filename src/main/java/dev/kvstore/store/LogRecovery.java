package dev.kvstore.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.function.Consumer;

/**
 * The recovery policy, in one place. Replays the log into the index and then, by what the first bad frame is:
 * <ol>
 *   <li><b>none</b>: the whole file is sound; nothing changes.</li>
 *   <li><b>below the forced mark</b> ({@link ForcedMark}, when there is one that matches the log): those bytes were
 *       forced, so no crash can have damaged them; any bad frame there is damage (below).</li>
 *   <li><b>a frame of another magic or version</b> with a good CRC: the file belongs to another store or release;
 *       refuse with {@link IncompatibleLogException}, file untouched, whatever {@code repair} says.</li>
 *   <li><b>a torn tail</b>: a bad frame (short, impossible length, bad CRC) with no frame whose CRC checks out
 *       anywhere after it, the normal trace of a crash mid-write. Cut it.</li>
 *   <li><b>a lost write</b>: a bad frame followed by a sound one, past the forced mark, or (for a log with no mark)
 *       where the bytes between show what a write that never reached the disk leaves: a whole sector of zeros, or a
 *       frame cut short with zeros from there right up to the sound frame (see {@link LogScanner#isLostWrite}).
 *       After a power cut, later bytes can be on disk while earlier ones are not, if they were not forced; so
 *       everything from the bad frame on was never acknowledged under {@code always}, and lies in the loss window
 *       of the other modes. Cut it.</li>
 *   <li><b>damage</b>: any other bad frame followed by one whose CRC checks out, or a frame whose CRC checks out but
 *       which this store cannot read (unknown op or encoding, over the limits, not UTF-8): a crash cannot produce
 *       either. Cutting would drop acknowledged writes, so refuse with {@link LogCorruptedException}, file
 *       untouched, unless {@code repair} is set: then cut, after copying the whole original aside.</li>
 * </ol>
 * Every cut first copies what it removes to a new file beside the log ({@code kvstore.log.torn-<time>} with the cut
 * bytes, or {@code kvstore.log.corrupt-<time>} with the whole original for a repair), forces that file and the
 * directory, and only then truncates the log to the end of the last sound frame and forces it. So nothing is
 * ever cut before it is durable elsewhere, and a crash during recovery leaves a log that recovers the same way.
 */
final class LogRecovery {

    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final int COPY_BUFFER_BYTES = 1 << 20;

    private final LogStorage storage;
    private final Path log;
    private final LogFormat format;
    private final boolean repair;
    private final Clock clock;

    LogRecovery(LogStorage storage, Path log, LogFormat format, boolean repair, Clock clock) {
        this.storage = storage;
        this.log = log;
        this.format = format;
        this.repair = repair;
        this.clock = clock;
    }

    /**
     * Recovers the open log {@code channel}, feeding every sound frame to {@code sink} in log order.
     *
     * @param mark the {@link ForcedMark} kept beside the log, or {@code null}
     */
    RecoveryReport recover(LogChannel channel, ForcedMark mark, boolean created, Consumer<LogRecord> sink)
            throws IOException {
        long started = System.nanoTime();
        Diagnosis d = examine(channel, format, mark, (offset, length, record) -> sink.accept(record));
        switch (d.kind()) {
            case SOUND:
                return report(created, d, RecoveryReport.Cut.NONE, null, started);
            case TORN_TAIL:
            case LOST_WRITE:
                Path aside = copyAside(channel, d.validBytes(), d.size(), "torn");
                cut(channel, d.validBytes());
                return report(created, d, d.kind() == Diagnosis.Kind.TORN_TAIL
                        ? RecoveryReport.Cut.TORN_TAIL : RecoveryReport.Cut.LOST_WRITE, aside, started);
            case INCOMPATIBLE:
                throw new IncompatibleLogException(log, d.foreignOffset(), d.foundMagic(), d.foundVersion(), format);
            default:
                if (!repair) {
                    throw new LogCorruptedException(log, d.validBytes(), d.defect(), d.nextFrame(), d.size(),
                            d.forced());
                }
                Path original = copyAside(channel, 0, d.size(), "corrupt");
                cut(channel, d.validBytes());
                return report(created, d, RecoveryReport.Cut.REPAIR, original, started);
        }
    }

    /**
     * What the log holds and what recovery would do with it, without changing anything: the one place that
     * classifies a bad frame, shared by the server and the offline tool.
     *
     * @param kind         what the first bad frame is, or {@code SOUND}
     * @param validBytes   end of the last sound frame before it (the whole file when sound)
     * @param frames       sound frames before it
     * @param defect       what is wrong with the first bad frame, or {@code null}
     * @param nextFrame    offset of the first frame after it whose CRC checks out, or -1
     * @param forced       bytes the forced mark vouches for, or -1 without a matching mark
     * @param foreignOffset for {@code INCOMPATIBLE}: where the frame of another magic or version is
     */
    record Diagnosis(Kind kind, long size, long validBytes, long frames, FrameDefect defect, long nextFrame,
                     long forced, long foreignOffset, byte foundMagic, byte foundVersion) {

        enum Kind {
            SOUND, TORN_TAIL, LOST_WRITE, DAMAGE, INCOMPATIBLE
        }
    }

    static Diagnosis examine(LogChannel channel, LogFormat format, ForcedMark mark, LogScanner.FrameSink sink)
            throws IOException {
        long size = channel.size();
        long forced = mark != null && mark.matches(channel, size) ? mark.forced() : -1;
        LogScanner scanner = new LogScanner(channel, format, size);
        LogScanner.Result scan = scanner.scan(sink);
        long offset = scan.validBytes();
        if (scan.clean()) {
            return diagnosis(Diagnosis.Kind.SOUND, size, scan, -1, forced, null);
        }
        if (scan.defect().isForeign()) {
            return diagnosis(Diagnosis.Kind.INCOMPATIBLE, size, scan, -1, forced, scan);
        }
        if (scan.defect().isChecksummed() || offset < forced) {
            return diagnosis(Diagnosis.Kind.DAMAGE, size, scan, -1, forced, null);
        }
        LogScanner.Result after = scanner.findFrameAfter(offset);
        if (after == null) {
            return diagnosis(Diagnosis.Kind.TORN_TAIL, size, scan, -1, forced, null);
        }
        if (after.defect() != null && after.defect().isForeign()) {
            return diagnosis(Diagnosis.Kind.INCOMPATIBLE, size, scan, after.validBytes(), forced, after);
        }
        // Past the forced mark nothing was ever forced; without a mark, the bytes must show a lost write.
        boolean lost = forced >= 0 || scanner.isLostWrite(offset, after.validBytes());
        return diagnosis(lost ? Diagnosis.Kind.LOST_WRITE : Diagnosis.Kind.DAMAGE, size, scan, after.validBytes(),
                forced, null);
    }

    private static Diagnosis diagnosis(Diagnosis.Kind kind, long size, LogScanner.Result scan, long next,
                                       long forced, LogScanner.Result foreign) {
        return new Diagnosis(kind, size, scan.validBytes(), scan.frames(), scan.defect(), next, forced,
                foreign == null ? -1 : foreign.validBytes(), foreign == null ? 0 : foreign.foundMagic(),
                foreign == null ? 0 : foreign.foundVersion());
    }

    /** The explicit repair of the offline tool: copy the whole original aside, then cut to the valid prefix. */
    Path cutKeepingOriginal(LogChannel channel, Diagnosis d) throws IOException {
        Path original = copyAside(channel, 0, d.size(), "orig");
        cut(channel, d.validBytes());
        return original;
    }

    private void cut(LogChannel channel, long size) throws IOException {
        channel.truncate(size);
        channel.force(true);
    }

    /** Copies bytes {@code [from, to)} of the log to a new file beside it and makes that copy durable. */
    private Path copyAside(LogChannel source, long from, long to, String kind) throws IOException {
        Path target = uniqueSibling(kind);
        try (LogChannel out = storage.open(target, true)) {
            copyRange(source, from, to, out);
            out.force(true);
        }
        storage.forceDirectory(log.toAbsolutePath().getParent());
        return target;
    }

    /** Copies bytes {@code [from, to)} of {@code source} to the start of {@code target}. */
    static void copyRange(LogChannel source, long from, long to, LogChannel target) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(COPY_BUFFER_BYTES, Math.max(1, to - from)));
        for (long pos = from; pos < to; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), to - pos));
            int n = source.read(buf, pos);
            if (n < 0) {
                throw new IOException("file shrank while being copied, at offset " + pos);
            }
            buf.flip();
            target.writeFully(buf, pos - from);
            pos += n;
        }
    }

    private Path uniqueSibling(String kind) {
        String base = log.getFileName() + "." + kind + "-" + STAMP.format(clock.instant());
        Path candidate = log.resolveSibling(base);
        for (int i = 1; storage.exists(candidate); i++) {
            candidate = log.resolveSibling(base + "-" + i);
        }
        return candidate;
    }

    private RecoveryReport report(boolean created, Diagnosis d, RecoveryReport.Cut cut, Path aside, long started) {
        return new RecoveryReport(log, created, d.frames(), d.validBytes(), d.size() - d.validBytes(), cut, d.defect(),
                aside, Duration.ofNanos(System.nanoTime() - started));
    }
}
