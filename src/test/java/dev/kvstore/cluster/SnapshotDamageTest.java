package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A snapshot whose bytes no longer match its digest stops the node from starting; it is never loaded. */
class SnapshotDamageTest {

    @Test
    void aDamagedSnapshotIsRefusedAtStart(@TempDir Path dir) throws IOException {
        final Path snapshot;
        try (TestCluster cluster = new TestCluster(dir, 1, b -> b).startAll()) {
            cluster.awaitLeader();
            cluster.node("n1").client().write(FakeKvState.put("k", "v"));
            cluster.node("n1").takeSnapshot();
            snapshot = RaftSnapshotTest.snapshotFiles(cluster.dir("n1")).get(0);
        }
        final List<Path> snapshots = RaftSnapshotTest.snapshotFiles(dir.resolve("n1"));
        assertThat(snapshots).hasSize(1); // the one taken at close has the same index
        flipAByte(snapshot, 20);

        try (TestCluster cluster = new TestCluster(dir, 0, b -> b)) {
            assertThatThrownBy(() -> cluster.start("n1")).isInstanceOf(UncheckedIOException.class)
                    .cause().isInstanceOf(IOException.class).hasMessageContaining("is damaged").hasMessageContaining(snapshot.toString());
        }
    }

    private static void flipAByte(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            final ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x40));
            b.rewind();
            ch.write(b, offset);
        }
    }
}
