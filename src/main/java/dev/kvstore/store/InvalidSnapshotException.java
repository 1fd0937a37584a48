package dev.kvstore.store;

import java.nio.file.Path;

/**
 * A snapshot given to restore from is not whole: it ends inside a frame or has a bad frame, as a copy cut short or
 * damaged in transfer does. Nothing was restored; the data directory was left as it was.
 */
public final class InvalidSnapshotException extends LogException {

    InvalidSnapshotException(Path file, long offset, FrameDefect defect, long size) {
        super(file, offset, String.format("%s is not a whole snapshot: at byte offset %d of its %d bytes, %s. It"
                + " was probably cut short or damaged while being copied; nothing was restored.", file, offset, size,
                defect.description()));
    }
}
