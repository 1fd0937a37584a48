package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A dead member is replaced by a new node through {@code setConfiguration}; the new one catches up from a snapshot. */
class MembershipTest {

    @Test
    void aDeadMemberIsReplacedByANewNode(@TempDir Path dir) throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 3, b -> b.snapshotEntries(40).logSegmentBytes(4096))
                .startAll()) {
            final String leader = cluster.awaitLeader();
            RaftSnapshotTest.writeConcurrently(cluster, 200, i -> FakeKvState.put("k" + (i % 50), "v" + i));
            cluster.awaitConverged();
            final String dead = cluster.followers(leader).get(0);
            cluster.stop(dead);

            final ClusterNode n4 = cluster.start("n4", new FakeKvState(), true);
            final ClusterNode admin = cluster.node(cluster.followers(leader).get(0)); // any member will do
            admin.addMember(cluster.members().stream().filter(m -> m.id().equals("n4")).findFirst().orElseThrow());
            admin.removeMember(dead);
            n4.client().write(FakeKvState.put("after", "replacement"));
            final String digest = cluster.awaitConverged();

            for (String id : cluster.running()) {
                assertThat(cluster.node(id).members()).as("members seen by %s", id).extracting(ClusterMember::id)
                        .containsExactlyInAnyOrder(leader, cluster.followers(leader).get(0), "n4")
                        .doesNotContain(dead);
                assertThat(cluster.state(id).digest()).isEqualTo(digest);
            }
            assertThat(n4.latestSnapshotIndex()).as("n4 was sent a snapshot").isPositive();
            assertThat(cluster.state("n4").read("k49").valueText()).isNotNull();
            assertThat(n4.status().members()).extracting(ClusterStatus.Member::id).contains("n4");
            assertThatThrownBy(() -> admin.removeMember(dead)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
