package dev.kvstore.store;

import java.nio.file.Path;

/**
 * Damage that no crash leaves: a bad frame with sound frames after it, a frame that checks out but cannot be read,
 * or any bad frame in the part of the log known to have been forced. Recovery refuses it and leaves the file as
 * it is, since cutting it would silently drop acknowledged writes.
 */
public final class LogCorruptedException extends LogException {

    private final FrameDefect defect;
    private final long nextFrameOffset;
    private final long fileSize;

    LogCorruptedException(Path file, long offset, FrameDefect defect, long nextFrameOffset, long fileSize,
                          long forced) {
        super(file, offset, message(file, offset, defect, nextFrameOffset, fileSize, forced));
        this.defect = defect;
        this.nextFrameOffset = nextFrameOffset;
        this.fileSize = fileSize;
    }

    private static String message(Path file, long offset, FrameDefect defect, long next, long size, long forced) {
        String what;
        if (forced > offset) {
            what = String.format("%s is corrupt at byte offset %d of %d (%s), in the first %d bytes, which were"
                    + " forced to disk before (%s%s says so): no crash damages forced data, so this is damage",
                    file, offset, size, defect.description(), forced, file.getFileName(), ForcedMark.SUFFIX);
        } else if (next >= 0) {
            what = String.format("%s is corrupt at byte offset %d of %d (%s), and a frame that checks out follows at"
                    + " offset %d: this is damage, not a torn write", file, offset, size, defect.description(), next);
        } else {
            what = String.format("%s cannot be read at byte offset %d of %d (%s) although that frame's CRC-32 is"
                    + " correct, so this is not a torn write", file, offset, size, defect.description());
        }
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

    /** Offset of the first frame after the damage whose CRC checks out, or -1 when none was looked for. */
    public long nextFrameOffset() {
        return nextFrameOffset;
    }

    public long fileSize() {
        return fileSize;
    }
}
