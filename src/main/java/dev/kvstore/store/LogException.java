package dev.kvstore.store;

import java.io.IOException;
import java.nio.file.Path;

/** A log that recovery will not open as it is; names the file and the byte offset of the problem. */
public abstract sealed class LogException extends IOException permits LogCorruptedException, IncompatibleLogException,
        InvalidSnapshotException {

    private final Path file;
    private final long offset;

    LogException(Path file, long offset, String message) {
        super(message);
        this.file = file;
        this.offset = offset;
    }

    public Path file() {
        return file;
    }

    public long offset() {
        return offset;
    }
}
