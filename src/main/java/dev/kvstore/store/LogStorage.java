package dev.kvstore.store;

import java.io.IOException;
import java.nio.file.Path;

/** File-system operations the engine needs besides reading and writing one open file. */
interface LogStorage {

    /** Opens {@code file} for reading and writing, creating it when {@code create} is set. */
    LogChannel open(Path file, boolean create) throws IOException;

    boolean exists(Path path);

    void createDirectories(Path dir) throws IOException;

    /** Makes the entries of {@code dir} (files created, renamed or removed in it) durable. */
    void forceDirectory(Path dir) throws IOException;

    /** The real file system, with real {@code FileChannel.force}. */
    static LogStorage files() {
        return FileLogStorage.INSTANCE;
    }
}
