package dev.kvstore.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** File-system operations the engine needs besides reading and writing one open file. */
interface LogStorage {

    /** Opens {@code file} for reading and writing, creating it when {@code create} is set. */
    LogChannel open(Path file, boolean create) throws IOException;

    /**
     * Opens {@code file} for reading only, so that a file on a read-only mount, or one this process may not write,
     * can be read; writing through the channel throws.
     */
    LogChannel openReadOnly(Path file) throws IOException;

    /**
     * Takes the exclusive lock {@code lockFile} stands for, held until the returned handle is closed: one process at
     * a time per data directory. The lock is the operating system's, so it goes with the process, however it ends.
     *
     * @throws DataDirectoryLockedException when another process, or another store in this one, holds it
     */
    Closeable lock(Path lockFile) throws IOException;

    boolean exists(Path path);

    /** Names of the files in {@code dir}. */
    List<String> list(Path dir) throws IOException;

    /** Bytes in {@code file}. */
    long size(Path file) throws IOException;

    void createDirectories(Path dir) throws IOException;

    /** Makes the entries of {@code dir} (files created, renamed or removed in it) durable. */
    void forceDirectory(Path dir) throws IOException;

    /**
     * Renames {@code source} to {@code target} in one atomic step, replacing {@code target} if it exists: a reader
     * (and, once the directory is forced, a crash) sees one file or the other under {@code target}, never neither.
     */
    void move(Path source, Path target) throws IOException;

    /** Removes the name {@code path} if it exists; a file still open stays readable through its channel. */
    void delete(Path path) throws IOException;

    /** Bytes this process may still write on the file system that holds {@code dir}. */
    long usableSpace(Path dir) throws IOException;

    /** The real file system, with real {@code FileChannel.force}. */
    static LogStorage files() {
        return FileLogStorage.INSTANCE;
    }
}
