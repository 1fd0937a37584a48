package dev.kvstore.store;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Another process (or another store in this one) has the data directory open: two writers on one log would each
 * acknowledge writes the other one overwrites. Nothing was read or changed.
 */
public final class DataDirectoryLockedException extends IOException {

    private final Path directory;
    private final String holder;

    DataDirectoryLockedException(Path lockFile, String holder) {
        super(String.format("the data directory %s is in use by another kv-store process (%s): it holds the lock"
                        + " on %s. Two processes on one data directory would lose acknowledged writes, so this one"
                        + " does not start", lockFile.toAbsolutePath().getParent(),
                holder == null || holder.isBlank() ? "which one could not be read" : holder, lockFile.getFileName()));
        this.directory = lockFile.toAbsolutePath().getParent();
        this.holder = holder;
    }

    /** The data directory. */
    public Path directory() {
        return directory;
    }

    /** Who holds the lock, as it wrote itself into the lock file (process id, host, since when), or {@code null}. */
    public String holder() {
        return holder;
    }
}
