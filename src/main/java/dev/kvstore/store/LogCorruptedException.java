package dev.kvstore.store;

import java.nio.file.Path;

/**
 * A bad frame with sound frames after it: damage in the middle of the log, not the trace of a crash. Recovery
 * refuses it and leaves the file as it is, since cutting it would silently drop acknowledged writes.
 */
public final class LogCorruptedException extends LogException {

    private final FrameDefect defect;
    private final long nextFrameOffset;
    private final long fileSize;

    LogCorruptedException(Path file, long offset, FrameDefect defect, long nextFrameOffset, long fileSize) {
        super(file, offset, message(file, offset, defect, nextFrameOffset, fileSize));
        this.defect = defect;
        this.nextFrameOffset = nextFrameOffset;
        this.fileSize = fileSize;
    }

    private static String message(Path file, long offset, FrameDefect defect, long next, long size) {
        String what = next >= 0
                ? String.format("%s is corrupt at byte offset %d of %d (%s), and a frame that checks out follows at"
                        + " offset %d: this is damage, not a torn write", file, offset, size, defect.description(), next)
                : String.format("%s cannot be read at byte offset %d of %d (%s) although that frame's CRC-32 is"
                        + " correct, so this is not a torn write", file, offset, size, defect.description());
        String limits = defect == FrameDefect.OVER_LIMIT
                ? " If the log was written under larger limits, raise kv.limits.max-key-bytes or"
                + " kv.limits.max-value-size." : "";
        return what + ". The file was left untouched." + limits + " To keep only the " + offset
                + " bytes before the damage, start once with kv.recovery.repair=true, which first copies the"
                + " original aside.";
    }

    public FrameDefect defect() {
        return defect;
    }

    /** Offset of the first frame after the damage whose CRC checks out, or -1 when the bad frame's own CRC does. */
    public long nextFrameOffset() {
        return nextFrameOffset;
    }

    public long fileSize() {
        return fileSize;
    }
}
