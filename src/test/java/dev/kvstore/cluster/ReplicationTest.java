package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Three nodes elect a leader; any node writes and reads linearizably; the status tells who is who. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicationTest {

    private Path dir;
    private TestCluster cluster;
    private String leader;

    @BeforeAll
    void startCluster(@TempDir Path dir) {
        this.dir = dir;
        final long started = System.nanoTime();
        cluster = new TestCluster(dir, 3, b -> b).startAll();
        leader = cluster.awaitLeader();
        System.out.printf("election: a leader all three agree on %d ms after the servers were started%n",
                Duration.ofNanos(System.nanoTime() - started).toMillis());
    }

    @AfterAll
    void stopCluster() {
        cluster.close();
    }

    @Test
    void aWriteSentToAFollowerIsCommittedAndAppliedEverywhere() {
        final String follower = cluster.followers(leader).get(0);

        final FakeKvState.Result put = FakeKvState.result(
                cluster.node(follower).client().write(FakeKvState.put("k", "from a follower")));

        assertThat(put.status()).isEqualTo(FakeKvState.Status.OK);
        cluster.awaitConverged();
        for (String id : cluster.running()) {
            assertThat(cluster.state(id).read("k").valueText()).as(id).isEqualTo("from a follower");
            assertThat(cluster.state(id).read("k").revision()).as(id).isEqualTo(put.revision());
        }
    }

    @Test
    void aLinearizableReadOnAnotherNodeSeesEveryAcknowledgedWrite() {
        final List<String> ids = cluster.running();
        for (int i = 0; i < 20; i++) {
            final String writer = ids.get(i % 3);
            final String reader = ids.get((i + 1) % 3);
            final FakeKvState.Result put = FakeKvState.result(
                    cluster.node(writer).client().write(FakeKvState.put("seq", "v" + i)));

            final FakeKvState.Result read = FakeKvState.result(
                    cluster.node(reader).client().read(FakeKvState.get("seq")));

            assertThat(read.valueText()).as("read on %s after write %d on %s", reader, i, writer).isEqualTo("v" + i);
            assertThat(read.revision()).isEqualTo(put.revision());
        }
    }

    @Test
    void afterAReadBarrierTheLocalStateHasTheWrite() {
        final String follower = cluster.followers(leader).get(1);
        for (int i = 0; i < 10; i++) {
            final FakeKvState.Result put = FakeKvState.result(
                    cluster.node(leader).client().write(FakeKvState.put("barrier", "b" + i)));

            final long applied = cluster.node(follower).client().readBarrier();

            assertThat(applied).isGreaterThanOrEqualTo(0);
            final FakeKvState.Result local = FakeKvState.result(
                    cluster.node(follower).client().staleRead(FakeKvState.get("barrier")));
            assertThat(local.revision()).isEqualTo(put.revision());
        }
    }

    @Test
    void compareAndSetIsDecidedOnceInLogOrder() {
        final ClusterClient a = cluster.node(cluster.running().get(0)).client();
        final ClusterClient b = cluster.node(cluster.running().get(1)).client();
        a.write(FakeKvState.put("cas", "start"));

        final FakeKvState.Result first = FakeKvState.result(b.write(FakeKvState.compareAndSet("cas", "start", "b")));
        final FakeKvState.Result second = FakeKvState.result(a.write(FakeKvState.compareAndSet("cas", "start", "a")));

        assertThat(first.status()).isEqualTo(FakeKvState.Status.OK);
        assertThat(second.status()).isEqualTo(FakeKvState.Status.CAS_FAILED);
        assertThat(second.valueText()).isEqualTo("b");
    }

    @Test
    void everyNodeReportsTheSameLeaderTermAndMembers() {
        cluster.awaitConverged();
        final List<ClusterStatus> statuses = cluster.running().stream().map(id -> cluster.node(id).status()).toList();

        for (ClusterStatus s : statuses) {
            assertThat(s.leaderId()).isEqualTo(leader);
            assertThat(s.term()).isEqualTo(statuses.get(0).term()).isPositive();
            assertThat(s.members()).extracting(ClusterStatus.Member::id).containsExactlyInAnyOrder("n1", "n2", "n3");
            assertThat(s.members()).filteredOn(m -> m.role() == ClusterStatus.Role.LEADER)
                    .extracting(ClusterStatus.Member::id).containsExactly(leader);
            assertThat(s.commitIndex()).isPositive();
            assertThat(s.appliedIndex()).isEqualTo(s.commitIndex());
            assertThat(cluster.node(s.nodeId()).isReady()).isTrue();
        }
        assertThat(statuses.stream().map(ClusterStatus::members).map(m -> m.stream()
                .map(ClusterStatus.Member::address).collect(Collectors.toSet())).distinct()).hasSize(1);
    }

    @Test
    void anOversizedCommandIsRefusedBeforeItIsSent() {
        final int limit = ClusterConfig.builder("n1", cluster.members(), dir).build().maxCommandBytes();
        final ClusterClient client = cluster.node(leader).client();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.write(new byte[limit + 1]))
                .isInstanceOf(CommandTooLargeException.class);
    }
}
