package dev.kvstore.cluster;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;
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
 * <p>
 * Beside a snapshot, {@code history.<term>_<index>} (with its {@code .md5}) holds what the state keeps of its own
 * at that moment ({@link ReplicatedState#writeHistory}). It is written and named before the snapshot, so a
 * snapshot's history, when it has one, is complete; {@link #info} lists it with the snapshot, so the leader sends
 * both to a follower it installs the snapshot on. Ratis deletes old snapshots; their histories go at the next
 * {@link #write}.
 */
final class SnapshotFiles {

    private static final String WRITING = "snapshot-being-written.tmp";
    private static final String HISTORY_WRITING = "history-being-written.tmp";
    private static final String HISTORY_PREFIX = "history.";

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private Path dir;
    private volatile boolean scanned;
    private volatile SingleFileSnapshotInfo newest;
    /** The last {@link #info} answer, for the snapshot it was made of: Ratis asks for it often. */
    private volatile Listed listed;

    private record Listed(SingleFileSnapshotInfo snapshot, SnapshotInfo info) {
    }

    SimpleStateMachineStorage storage() {
        return storage;
    }

    void init(RaftStorage raftStorage) throws IOException {
        storage.init(raftStorage);
        dir = raftStorage.getStorageDir().getStateMachineDir().toPath();
    }

    /** The newest snapshot on disk (rescanned, so that one just installed from the leader is seen), or null. */
    synchronized SingleFileSnapshotInfo latest() {
        newest = storage.loadLatestSnapshot();
        scanned = true;
        return newest;
    }

    /**
     * The newest snapshot as of the last {@link #latest} or {@link #write}, or null when there was none then.
     * Ratis asks for it on every round of the leader's log appenders: this does not list the directory again each
     * time while there is no snapshot yet, as Ratis's own storage does.
     */
    SingleFileSnapshotInfo newest() {
        return scanned ? newest : latest();
    }

    /**
     * Writes a snapshot through {@code writer}, which returns the position the written state reflects, and its
     * history through {@code history} (right after, with nothing applied in between).
     */
    SingleFileSnapshotInfo write(SnapshotWriter writer, HistoryWriter history) throws IOException {
        final Path tmp = dir.resolve(WRITING);
        final Path historyTmp = dir.resolve(HISTORY_WRITING);
        Files.deleteIfExists(tmp);
        Files.deleteIfExists(historyTmp);
        deleteOrphanHistories();
        try {
            final LogPosition position = writer.write(tmp);
            force(tmp);
            if (history.write(historyTmp)) {
                force(historyTmp);
                final Path named = historyFile(position.term(), position.index());
                Files.move(historyTmp, named, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                force(dir);
                MD5FileUtil.computeAndSaveMd5ForFile(named.toFile());
            }
            final Path file = storage.getSnapshotFile(position.term(), position.index()).toPath();
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            force(dir);
            final MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file.toFile());
            force(dir);
            final SingleFileSnapshotInfo info = new SingleFileSnapshotInfo(new FileInfo(file, md5),
                    position.term(), position.index());
            synchronized (this) {
                newest = storage.updateLatestSnapshot(info);
            }
            return info;
        } finally {
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(historyTmp);
        }
    }

    private Path historyFile(long term, long index) {
        return dir.resolve(HISTORY_PREFIX + term + "_" + index);
    }

    /** The history kept beside {@code snapshot}, or {@code null} when it has none. */
    Path historyOf(SingleFileSnapshotInfo snapshot) {
        final Path file = historyFile(snapshot.getTerm(), snapshot.getIndex());
        return Files.isRegularFile(file) ? file : null;
    }

    /** {@code snapshot} as Ratis sends it to a follower: the snapshot's file, and its history when it has one. */
    SnapshotInfo info(SingleFileSnapshotInfo snapshot) {
        final Listed last = listed;
        if (last != null && last.snapshot() == snapshot) {
            return last.info();
        }
        final Path history = historyOf(snapshot);
        SnapshotInfo info = snapshot;
        if (history != null) {
            final List<FileInfo> files = new ArrayList<>(snapshot.getFiles());
            // Without a digest here, Ratis computes it while it sends the file, and the follower checks it on arrival.
            files.add(new FileInfo(history, null));
            info = new FileListSnapshotInfo(files, snapshot.getTermIndex());
        }
        listed = new Listed(snapshot, info);
        return info;
    }

    /** Histories (and their digests) whose snapshot Ratis deleted. */
    private void deleteOrphanHistories() throws IOException {
        try (var files = Files.newDirectoryStream(dir, HISTORY_PREFIX + "*")) {
            for (Path f : files) {
                final String name = f.getFileName().toString();
                final String snapshot = "snapshot." + name.substring(HISTORY_PREFIX.length()).replace(".md5", "");
                if (!Files.exists(dir.resolve(snapshot))) {
                    Files.deleteIfExists(f);
                }
            }
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

    @FunctionalInterface
    interface HistoryWriter {
        /** Writes the history to {@code target}; false when there is none (nothing is kept). */
        boolean write(Path target) throws IOException;
    }
}
