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
 *   <li><b>a frame of another magic or version</b> with a good CRC: the file belongs to another store or release;
 *       refuse with {@link IncompatibleLogException}, file untouched, whatever {@code repair} says.</li>
 *   <li><b>a torn tail</b>: a bad frame (short, wrong length, bad CRC) with no frame whose CRC checks out
 *       anywhere after it, the normal trace of a crash mid-write. Copy the cut bytes aside ({@code kvstore.log.torn-<time>}), force that copy and the
 *       directory, then truncate the log to the end of the last sound frame and force it.</li>
 *   <li><b>damage</b>: a bad frame followed by one whose CRC checks out, or a frame whose CRC checks out but which
 *       this store cannot read (unknown op or encoding, over the limits, not UTF-8): a crash cannot produce either.
 *       Cutting would drop acknowledged writes, so refuse with
 *       {@link LogCorruptedException}, file untouched, unless {@code repair} is set: then copy the whole original
 *       aside ({@code kvstore.log.corrupt-<time>}), force it and the directory, and only then truncate to the
 *       valid prefix and force.</li>
 * </ol>
 * Nothing is ever cut before the bytes being cut are durable elsewhere.
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

    /** Recovers the open log {@code channel}, feeding every sound frame to {@code sink} in log order. */
    RecoveryReport recover(LogChannel channel, boolean created, Consumer<LogRecord> sink) throws IOException {
        long started = System.nanoTime();
        long size = channel.size();
        LogScanner scanner = new LogScanner(channel, format, size);
        LogScanner.Result scan = scanner.scan(sink);
        if (scan.clean()) {
            return report(created, scan, 0, null, null, false, started);
        }
        long offset = scan.validBytes();
        if (scan.defect().isForeign()) {
            throw new IncompatibleLogException(log, offset, scan.foundMagic(), scan.foundVersion(), format);
        }
        long next = -1;
        if (!scan.defect().isChecksummed()) {
            LogScanner.Result after = scanner.findFrameAfter(offset);
            if (after == null) {
                Path aside = copyAside(channel, offset, size, "torn");
                cut(channel, offset);
                return report(created, scan, size - offset, scan.defect(), aside, false, started);
            }
            if (after.defect() != null && after.defect().isForeign()) {
                throw new IncompatibleLogException(log, after.validBytes(), after.foundMagic(), after.foundVersion(),
                        format);
            }
            next = after.validBytes();
        }
        if (!repair) {
            throw new LogCorruptedException(log, offset, scan.defect(), next, size);
        }
        Path aside = copyAside(channel, 0, size, "corrupt");
        cut(channel, offset);
        return report(created, scan, size - offset, scan.defect(), aside, true, started);
    }

    private void cut(LogChannel channel, long size) throws IOException {
        channel.truncate(size);
        channel.force(true);
    }

    /** Copies bytes {@code [from, to)} of the log to a new file beside it and makes that copy durable. */
    private Path copyAside(LogChannel source, long from, long to, String kind) throws IOException {
        Path target = uniqueSibling(kind);
        try (LogChannel out = storage.open(target, true)) {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(COPY_BUFFER_BYTES, Math.max(1, to - from)));
            for (long pos = from; pos < to; ) {
                buf.clear().limit((int) Math.min(buf.capacity(), to - pos));
                int n = source.read(buf, pos);
                if (n < 0) {
                    throw new IOException("log shrank while being copied aside, at offset " + pos);
                }
                buf.flip();
                out.writeFully(buf, pos - from);
                pos += n;
            }
            out.force(true);
        }
        storage.forceDirectory(log.toAbsolutePath().getParent());
        return target;
    }

    private Path uniqueSibling(String kind) {
        String base = log.getFileName() + "." + kind + "-" + STAMP.format(clock.instant());
        Path candidate = log.resolveSibling(base);
        for (int i = 1; storage.exists(candidate); i++) {
            candidate = log.resolveSibling(base + "-" + i);
        }
        return candidate;
    }

    private RecoveryReport report(boolean created, LogScanner.Result scan, long cut, FrameDefect reason,
                                  Path aside, boolean repaired, long started) {
        return new RecoveryReport(log, created, scan.frames(), scan.validBytes(), cut, reason, aside, repaired,
                Duration.ofNanos(System.nanoTime() - started));
    }
}
