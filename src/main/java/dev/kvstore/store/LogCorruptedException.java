package dev.kvstore.store;

import java.nio.file.Path;

/**
 * Damage that no crash leaves: a frame whose CRC checks out but which cannot be read, any bad frame in the part of
 * the log known to have been forced, more bad bytes than one crash can leave, a bad frame with sound frames after it
 * that no lost write explains, or a log shorter than what was forced. Recovery refuses it and leaves the file as it
 * is, since cutting it would silently drop acknowledged writes.
 */
public final class LogCorruptedException extends LogException {

    /** Why the first bad frame is damage rather than a crash trace. */
    public enum Reason {
        /** Its envelope is sound (some writer wrote exactly these bytes) but the store cannot read it. */
        UNREADABLE,
        /** It lies in the part of the log the forced mark says was forced. */
        BELOW_FORCED_MARK,
        /** More bytes follow it than one write call holds, and the log is written under {@code always}. */
        MORE_THAN_ONE_WRITE,
        /** A sound frame follows it, and the bytes between show no lost write. */
        FRAME_FOLLOWS,
        /** The search for a sound frame after it met too many frame-like headers to check them all. */
        UNDECIDED,
        /** The log is shorter than what its forced mark says was forced. */
        FORCED_DATA_MISSING
    }

    private final FrameDefect defect;
    private final Reason reason;
    private final long nextFrameOffset;
    private final long fileSize;

    LogCorruptedException(Path file, Diagnosis d) {
        super(file, d.validBytes(), message(file, d));
        this.defect = d.defect();
        this.reason = d.reason();
        this.nextFrameOffset = d.nextFrame();
        this.fileSize = d.size();
    }

    private static String message(Path file, Diagnosis d) {
        long offset = d.validBytes();
        long size = d.size();
        String defect = d.defect() == null ? "" : d.defect().description();
        String mark = DataDirectory.markOf(file).getFileName().toString();
        String what = switch (d.reason()) {
            case FORCED_DATA_MISSING -> String.format("%s holds %d bytes (sound up to byte offset %d), but %s says its"
                    + " first %d bytes were forced to disk: forced data is missing (the log was truncated, emptied"
                    + " or replaced), which no crash does", file, size, offset, mark, d.forced());
            case BELOW_FORCED_MARK -> String.format("%s is corrupt at byte offset %d of %d (%s), in the first %d"
                    + " bytes, which were forced to disk before (%s says so): no crash damages forced data, so this"
                    + " is damage", file, offset, size, defect, d.forced(), mark);
            case MORE_THAN_ONE_WRITE -> String.format("%s is corrupt at byte offset %d of %d (%s), and %d bytes follow"
                    + " it: the log is written under sync=always (%s says so), where a crash leaves at most one write"
                    + " call unforced, at most %d bytes, so this is damage, not a torn write", file, offset, size,
                    defect, size - offset, mark, d.maxWrite());
            case FRAME_FOLLOWS -> String.format("%s is corrupt at byte offset %d of %d (%s), and a frame that checks"
                    + " out follows at offset %d: this is damage, not a torn write", file, offset, size, defect,
                    d.nextFrame());
            case UNDECIDED -> String.format("%s is corrupt at byte offset %d of %d (%s), and the %d bytes after it"
                    + " hold so many frame-like headers that the search for a sound frame among them gave up:"
                    + " acknowledged writes there cannot be ruled out, so this is not cut as a torn write", file,
                    offset, size, defect, size - offset);
            case UNREADABLE -> String.format("%s cannot be read at byte offset %d of %d (%s) although that frame's"
                    + " CRC-32 is correct, so this is not a torn write", file, offset, size, defect);
        };
        String limits = d.defect() == FrameDefect.OVER_LIMIT
                ? " If the log was written under larger limits, raise kv.limits.max-key-bytes or"
                + " kv.limits.max-value-size." : "";
        String way = d.reason() == Reason.FORCED_DATA_MISSING
                ? " To start from the " + offset + " bytes there are, start once with kv.recovery.repair=true, which"
                + " first copies the log aside and then lowers the mark; if the log was removed or replaced on"
                + " purpose, remove " + mark + " too."
                : " To keep only the " + offset + " bytes before the damage, start once with kv.recovery.repair=true,"
                + " which first copies the original aside.";
        return what + ". The file was left untouched." + limits + way;
    }

    /** What is wrong with the first bad frame, or {@code null} when the frames are sound but forced data is missing. */
    public FrameDefect defect() {
        return defect;
    }

    public Reason reason() {
        return reason;
    }

    /** Offset of the first frame after the damage whose CRC checks out, or -1 when none was looked for. */
    public long nextFrameOffset() {
        return nextFrameOffset;
    }

    public long fileSize() {
        return fileSize;
    }
}
