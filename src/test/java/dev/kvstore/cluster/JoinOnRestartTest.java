package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kv.cluster.join} only matters to a node whose Raft storage is new: a member that restarts on its own storage
 * with it set comes back as the member it was (its configuration is in its log). So an orchestrator that cannot set
 * it per node (a StatefulSet) may leave it on once the group has formed, and a node that comes back with an empty
 * disk then waits to be added instead of starting a group of its own.
 */
class JoinOnRestartTest {

    @Test
    void aMemberRestartedWithJoinSetOnItsOwnStorageComesBackAsItWas(@TempDir Path dir) {
        try (TestCluster cluster = new TestCluster(dir, 3, b -> b).startAll()) {
            final String leader = cluster.awaitLeader();
            final String follower = cluster.followers(leader).get(0);
            for (int i = 0; i < 20; i++) {
                cluster.node(leader).client().write(FakeKvState.put("k" + i, "v" + i));
            }
            cluster.awaitConverged();
            cluster.stop(follower);
            cluster.node(leader).client().write(FakeKvState.put("while-down", "x"));

            final ClusterNode back = cluster.start(follower, new FakeKvState(), true);
            back.client().write(FakeKvState.put("through-it", "y"));
            final String digest = cluster.awaitConverged();
            assertThat(cluster.state(follower).digest()).isEqualTo(digest);
            assertThat(cluster.state(follower).read("while-down").valueText()).isEqualTo("x");
            assertThat(back.members()).extracting(ClusterMember::id).containsExactlyInAnyOrder("n1", "n2", "n3");
        }
    }
}
