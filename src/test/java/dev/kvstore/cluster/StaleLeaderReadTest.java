package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader whose followers are gone must not answer a linearizable read, even right after a confirmed one, while it
 * still believes it leads (long election timeouts keep it leader for seconds here). Ratis 3.3.0's own ReadIndex
 * answers such a read at once when the commit index has not moved since its last confirmed round; that is shown
 * too, as the reason for {@link LeadershipCheck}: should a Ratis upgrade fix it, that assertion says so.
 */
class StaleLeaderReadTest {

    @Test
    void aLeaderLeftAloneRefusesLinearizableReadsAndBarriers(@TempDir Path dir) throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 3, b -> b.electionTimeout(Duration.ofSeconds(4),
                Duration.ofSeconds(8)).operationTimeout(Duration.ofMillis(1500)).requestTimeout(
                        Duration.ofMillis(750))).startAll()) {
            final String leader = cluster.awaitLeader();
            final ClusterClient client = cluster.node(leader).client();
            client.write(FakeKvState.put("k", "before"));
            cluster.awaitConverged();
            assertThat(FakeKvState.result(client.read(FakeKvState.get("k"))).valueText()).isEqualTo("before");
            try (RaftClient ratis = RaftClient.newBuilder()
                    .setRaftGroup(RatisSettings.group(ClusterConfig.builder(leader, cluster.members(), dir).build(),
                            cluster.members()))
                    .setProperties(RatisSettings.client(Duration.ofSeconds(5), 1 << 20))
                    .setRetryPolicy(org.apache.ratis.retry.RetryPolicies.noRetry()).build()) {
                final Message query = query(FakeKvState.get("k"));
                assertThat(ratis.io().sendReadOnly(query, RaftPeerId.valueOf(leader)).isSuccess()).isTrue();

                cluster.stopAllBut(leader);
                assertThat(cluster.node(leader).status().leaderId()).as("still leader, for now").isEqualTo(leader);

                final long t0 = System.nanoTime();
                assertThatThrownBy(() -> client.read(FakeKvState.get("k")))
                        .isInstanceOf(ClusterUnavailableException.class);
                assertThatThrownBy(client::readBarrier).isInstanceOf(ClusterUnavailableException.class);
                System.out.printf("stale leader: linearizable read and barrier refused after %d ms%n",
                        Duration.ofNanos(System.nanoTime() - t0).toMillis());

                // Ratis's own ReadIndex, meanwhile, answers from the lone leader without asking anyone.
                final RaftClientReply own = ratis.io().sendReadOnly(query, RaftPeerId.valueOf(leader));
                assertThat(cluster.node(leader).status().leaderId()).as("still leader").isEqualTo(leader);
                assertThat(own.isSuccess()).as("Ratis 3.3.0's ReadIndex skips the confirmation").isTrue();
            }
        }
    }

    private static Message query(byte[] q) {
        final byte[] request = new byte[q.length + 1];
        request[0] = StateMachineAdapter.QUERY;
        System.arraycopy(q, 0, request, 1, q.length);
        return Message.valueOf(ByteString.copyFrom(request));
    }
}
