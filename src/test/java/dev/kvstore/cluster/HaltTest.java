package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica whose state fails to apply an entry (its disk failed, say) stops instead of diverging, takes no
 * snapshot of its half-applied state, and rebuilds on restart; the others carry on.
 */
class HaltTest {

    @Test
    void aReplicaThatCannotApplyStopsAndRecoversOnRestart(@TempDir Path dir) {
        try (TestCluster cluster = new TestCluster(dir, 3, b -> b).startAll()) {
            final String leader = cluster.awaitLeader();
            final String failing = cluster.followers(leader).get(0);
            cluster.node(leader).client().write(FakeKvState.put("before", "1"));
            cluster.awaitConverged();
            cluster.state(failing).failApplyOn("poison");
            final long snapshotBefore = cluster.node(failing).latestSnapshotIndex();

            final FakeKvState.Result poison = FakeKvState.result(
                    cluster.node(leader).client().write(FakeKvState.put("poison", "x")));

            assertThat(poison.status()).isEqualTo(FakeKvState.Status.OK); // the leader and the other follower applied
            final ClusterNode halted = cluster.node(failing);
            await("the failing replica stops").atMost(TestCluster.WAIT)
                    .until(() -> halted.status().members().stream().anyMatch(
                            m -> m.id().equals(failing) && m.role() == ClusterStatus.Role.STOPPED));
            assertThat(halted.haltCause()).hasMessageContaining("simulated disk failure");
            assertThat(halted.isReady()).isFalse();
            assertThat(halted.latestSnapshotIndex()).as("no snapshot of a half-applied state")
                    .isEqualTo(snapshotBefore);
            cluster.node(leader).client().write(FakeKvState.put("after", "2")); // two of three still commit

            cluster.restart(failing);
            cluster.awaitLeader();
            cluster.awaitConverged();
            assertThat(cluster.state(failing).read("poison").valueText()).isEqualTo("x");
            assertThat(cluster.state(failing).read("after").valueText()).isEqualTo("2");
        }
    }
}
