package dev.kvstore.cluster;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.MD5FileUtil;

/**
 * The snapshot files of one node, in Ratis's state machine directory ({@code raft/<group>/sm}): one file per snapshot,
 * named {@code snapshot.<term>_<index>} so that Ratis finds it, sends it to followers and installs the leader's, with
 * a {@code .md5} file beside it.
 * <p>
 * A snapshot is written under a temporary name, forced, renamed and its directory forced before its digest is
 * saved, so a file under a snapshot name is always complete. Ratis purges the log up to a snapshot's index only
 * after {@link #write} returned. The directory holds snapshots only: installing one from the leader replaces the
 * whole directory.
 */
final class SnapshotFiles {

    private static final String WRITING = "snapshot-being-written.tmp";

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private Path dir;

    SimpleStateMachineStorage storage() {
        return storage;
    }

    void init(RaftStorage raftStorage) throws IOException {
        storage.init(raftStorage);
        dir = raftStorage.getStorageDir().getStateMachineDir().toPath();
    }

    /** The newest snapshot on disk (rescanned, so that one just installed from the leader is seen), or null. */
    SingleFileSnapshotInfo latest() {
        return storage.loadLatestSnapshot();
    }

    /** Writes a snapshot through {@code writer}, which returns the position the written state reflects. */
    SingleFileSnapshotInfo write(SnapshotWriter writer) throws IOException {
        final Path tmp = dir.resolve(WRITING);
        Files.deleteIfExists(tmp);
        try {
            final LogPosition position = writer.write(tmp);
            force(tmp);
            final Path file = storage.getSnapshotFile(position.term(), position.index()).toPath();
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            force(dir);
            final MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file.toFile());
            force(dir);
            final SingleFileSnapshotInfo info = new SingleFileSnapshotInfo(new FileInfo(file, md5),
                    position.term(), position.index());
            storage.updateLatestSnapshot(info);
            return info;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Checks the file against its saved digest by reading it again. (Ratis's own {@code verifySavedMD5} compares the
     * saved digest with itself when given the digest it just read.) A snapshot without a digest is accepted: ours
     * are complete before they get their name, and an installed one got its digest checked on arrival.
     */
    static void verify(SingleFileSnapshotInfo snapshot) throws IOException {
        final Path file = snapshot.getFile().getPath();
        final MD5Hash saved = snapshot.getFile().getFileDigest();
        if (saved == null) {
            return;
        }
        final MD5Hash actual = MD5FileUtil.computeMd5ForFile(file.toFile());
        if (!saved.equals(actual)) {
            throw new IOException("snapshot " + file + " is damaged: its MD5 is " + actual + ", but " + saved
                    + " was saved with it");
        }
    }

    private static void force(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            try (FileChannel dir = FileChannel.open(path, StandardOpenOption.READ)) {
                dir.force(true);
            }
        } else {
            try (FileChannel file = FileChannel.open(path, StandardOpenOption.WRITE)) {
                file.force(true);
            }
        }
    }

    @FunctionalInterface
    interface SnapshotWriter {
        LogPosition write(Path target) throws IOException;
    }
}
