package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots keep the Raft log bounded, and a node that lost everything catches up from one. */
class RaftSnapshotTest {

    private static final int SNAPSHOT_ENTRIES = 50;

    @Test
    void snapshotsAndPurgingKeepTheLogBounded(@TempDir Path dir) throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 3,
                b -> b.snapshotEntries(SNAPSHOT_ENTRIES).logSegmentBytes(4096)).startAll()) {
            final String leader = cluster.awaitLeader();
            final int writes = SNAPSHOT_ENTRIES * 6;

            writeConcurrently(cluster, writes, i -> FakeKvState.put("key-" + (i % 37), "value-" + i));
            cluster.awaitConverged();

            for (String id : cluster.running()) {
                final ClusterNode node = cluster.node(id);
                final long committed = node.status().commitIndex();
                assertThat(committed).isGreaterThanOrEqualTo(writes);
                assertThat(node.latestSnapshotIndex()).as("snapshot on %s", id)
                        .isGreaterThanOrEqualTo(committed - 2L * SNAPSHOT_ENTRIES);
                assertThat(committed - node.logStartIndex()).as("entries still in %s's log", id)
                        .isLessThan(3L * SNAPSHOT_ENTRIES);
                assertThat(snapshotFiles(cluster.dir(id))).as("snapshots kept on %s", id).hasSizeLessThanOrEqualTo(2);
            }

            // A follower restarted now rebuilds its state from its snapshot and what is left of its log.
            final String follower = cluster.followers(leader).get(0);
            cluster.restart(follower);
            cluster.awaitLeader();
            final String digest = cluster.awaitConverged();
            assertThat(cluster.state(follower).read("key-36").valueText()).isNotNull();

            // So does the whole group.
            final List<String> all = cluster.running();
            cluster.stopAll();
            all.forEach(cluster::start);
            cluster.awaitLeader();
            assertThat(cluster.awaitConverged()).isEqualTo(digest);
        }
    }

    @Test
    void aSnapshotIsAlsoTakenOnceTheAppliedCommandsReachTheByteThreshold(@TempDir Path dir) throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 3,
                b -> b.snapshotEntries(1_000_000).snapshotBytes(64 << 10)).startAll()) {
            cluster.awaitLeader();
            final String kib = "x".repeat(1024);

            writeConcurrently(cluster, 100, i -> FakeKvState.put("big-" + i, kib));
            cluster.awaitConverged();

            for (String id : cluster.running()) {
                assertThat(cluster.node(id).latestSnapshotIndex()).as("snapshot on %s", id).isPositive();
            }
        }
    }

    /**
     * A member that lost its disk rejoins the way Raft allows: it is removed, then added again as a new member, and
     * catches up from the leader's snapshot (two chunks). Restarting it in place with an empty log does not work:
     * the leader never lowers the match index it recorded for a follower, and retries forever.
     */
    @Test
    void aWipedMemberRejoinsFromASnapshotLargerThanOneChunk(@TempDir Path dir) throws Exception {
        final int chunk = 16 << 20;
        try (TestCluster cluster = new TestCluster(dir, 3,
                b -> b.snapshotEntries(1_000_000).logSegmentBytes(1 << 20).snapshotChunkBytes(chunk)).startAll()) {
            final String leader = cluster.awaitLeader();
            final long seed = System.nanoTime();
            System.out.println("snapshot install: random values from seed " + seed);
            final Random random = new Random(seed);
            final List<byte[]> values = new ArrayList<>();
            for (int i = 0; i < 18; i++) { // 18 MiB of incompressible values: two chunks
                final byte[] v = new byte[1 << 20];
                random.nextBytes(v);
                values.add(v);
            }
            writeConcurrently(cluster, values.size(), i -> FakeKvState.put("blob-" + i, values.get(i)));
            cluster.awaitConverged();
            final String wiped = cluster.followers(leader).get(0);
            cluster.wipe(wiped);
            final long snapshotIndex = cluster.node(leader).takeSnapshot();
            await("the leader purges its log up to the snapshot").atMost(TestCluster.WAIT)
                    .until(() -> cluster.node(leader).logStartIndex() > snapshotIndex - 2);
            cluster.node(leader).removeMember(wiped);
            cluster.node(leader).client().write(FakeKvState.put("after-snapshot", "yes"));

            final long rejoining = System.nanoTime();
            cluster.start(wiped, new FakeKvState(), true);
            cluster.node(leader).addMember(cluster.members().stream().filter(m -> m.id().equals(wiped))
                    .findFirst().orElseThrow());
            cluster.awaitConverged();
            System.out.printf("snapshot install: wiped member started and added -> converged in %d ms%n",
                    Duration.ofNanos(System.nanoTime() - rejoining).toMillis());

            final ClusterNode rejoined = cluster.node(wiped);
            assertThat(rejoined.latestSnapshotIndex()).isGreaterThanOrEqualTo(snapshotIndex);
            assertThat(snapshotFiles(cluster.dir(wiped))).singleElement()
                    .satisfies(p -> assertThat(Files.size(p)).isGreaterThan(chunk));
            assertThat(cluster.state(wiped).read("after-snapshot").valueText()).isEqualTo("yes");
            assertThat(cluster.state(wiped).read("blob-17").value()).isEqualTo(values.get(17));
            assertThat(rejoined.members()).extracting(ClusterMember::id).containsExactlyInAnyOrder("n1", "n2", "n3");
        }
    }

    /** Writes {@code count} commands from four threads spread over the running nodes, and waits for every answer. */
    static void writeConcurrently(TestCluster cluster, int count, java.util.function.IntFunction<byte[]> command)
            throws Exception {
        final List<String> ids = cluster.running();
        final ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            final List<Future<byte[]>> answers = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                final int n = i;
                answers.add(pool.submit(() -> cluster.node(ids.get(n % ids.size())).client().write(command.apply(n))));
            }
            for (Future<byte[]> a : answers) {
                assertThat(FakeKvState.result(a.get()).status()).isEqualTo(FakeKvState.Status.OK);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static List<Path> snapshotFiles(Path nodeDir) throws IOException {
        try (Stream<Path> files = Files.walk(nodeDir.resolve("raft"))) {
            return files.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")).toList();
        }
    }
}
