package dev.kvstore.store;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Fills an empty data directory from a snapshot (or any log of this store), the way a database image initializes
 * only an empty data directory: a directory whose log already holds data is never overwritten.
 *
 * <p>The snapshot is only read (a backup on a read-only mount will do), and checked whole first: a copy cut short,
 * or damaged, is refused with {@link InvalidSnapshotException}, and one of another magic or version with
 * {@link IncompatibleLogException}, since restoring a prefix of it would silently lose data. It is then copied to
 * {@code kvstore.log.restoring}, which is forced; the forced mark of the log it replaces is removed, so that it is not
 * taken for the restored log's; and it is renamed to {@code kvstore.log}, and the directory forced: a crash leaves
 * either no log (and the restore runs again) or the whole snapshot.
 */
final class SnapshotRestore {

    static final String RESTORING_FILE_NAME = StoreOptions.LOG_FILE_NAME + ".restoring";

    private SnapshotRestore() {
    }

    /**
     * Restores {@code snapshot} as {@code log} when that is missing or empty.
     *
     * @return whether it restored; {@code false} when the log already holds data
     */
    static boolean restoreIfEmpty(LogStorage storage, Path snapshot, Path log, LogFormat format) throws IOException {
        if (storage.exists(log) && storage.size(log) > 0) {
            return false;
        }
        Path restoring = log.resolveSibling(RESTORING_FILE_NAME);
        try (LogChannel source = storage.openReadOnly(snapshot)) {
            check(source, snapshot, format);
            storage.delete(restoring);
            try (LogChannel target = storage.open(restoring, true)) {
                LogRecovery.copyRange(source, 0, source.size(), target);
                target.force(true);
            }
        }
        storage.delete(ForcedMark.pathFor(log));
        storage.move(restoring, log);
        storage.forceDirectory(log.getParent());
        return true;
    }

    private static void check(LogChannel source, Path snapshot, LogFormat format) throws IOException {
        LogRecovery.Diagnosis d = LogRecovery.examine(source, format, null, (offset, length, record) -> {
        });
        switch (d.kind()) {
            case SOUND:
                return;
            case INCOMPATIBLE:
                throw new IncompatibleLogException(snapshot, d.foreignOffset(), d.foundMagic(), d.foundVersion(),
                        format);
            default:
                throw new InvalidSnapshotException(snapshot, d.validBytes(), d.defect(), d.size());
        }
    }
}
