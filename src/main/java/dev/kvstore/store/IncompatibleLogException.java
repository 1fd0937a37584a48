package dev.kvstore.store;

import java.nio.file.Path;

/** A well-formed frame of another magic or version: a log this store was not configured for, not damage. */
public final class IncompatibleLogException extends LogException {

    private final int foundMagic;
    private final int foundVersion;

    IncompatibleLogException(Path file, long offset, byte foundMagic, byte foundVersion, LogFormat expected) {
        super(file, offset, String.format(
                "%s is not a log of this store: the frame at byte offset %d has magic 0x%02X and version 0x%02X,"
                        + " but this store uses magic 0x%02X (kv.wal.magic) and reads versions 0x01 and 0x02."
                        + " The file was left untouched.",
                file, offset, foundMagic & 0xFF, foundVersion & 0xFF, expected.magic() & 0xFF));
        this.foundMagic = foundMagic & 0xFF;
        this.foundVersion = foundVersion & 0xFF;
    }

    public int foundMagic() {
        return foundMagic;
    }

    public int foundVersion() {
        return foundVersion;
    }
}
