package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower whose append of the leader's entries fails once (as Ratis 3.3.0's log refuses a second appending
 * thread: "SegmentedRaftLog: Already running a method") takes the leader's entries again afterwards, with our
 * {@link RatisSettings}. With Ratis's default, {@code raft.server.log.append-entries.compose.enabled=true}, that
 * follower's appends are chained on one future that stays failed, and it never takes another entry until its
 * division restarts: the stall a rejoining node showed in {@code ClusterPartitionIT}.
 * <p>
 * Real Ratis servers over gRPC on loopback with the settings a node uses; only the state machine is a counter, whose
 * follower-side {@code startTransaction} (Ratis calls it on the appending thread, inside the log's one-at-a-time
 * guard, before the entry is written) fails once on request.
 */
class FollowerAppendFailureTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final RaftGroupId GROUP_ID = RatisSettings.groupId("append-failure");

    @Test
    void aFollowerWhoseAppendFailedOnceTakesTheLeadersEntriesAgain(@TempDir Path dir) throws Exception {
        RatisLogging.quiet();
        final List<ClusterMember> members = List.of(TestCluster.newMember("n1"), TestCluster.newMember("n2"),
                TestCluster.newMember("n3"));
        final Map<String, CountingStateMachine> machines = new TreeMap<>();
        final Map<String, RaftServer> servers = new TreeMap<>();
        final ClusterConfig any = ClusterConfig.builder("n1", members, dir.resolve("n1")).build();
        final RaftGroup group = RaftGroup.valueOf(GROUP_ID, members.stream().map(RatisSettings::peer).toList());
        try {
            for (ClusterMember m : members) {
                final ClusterConfig config = ClusterConfig.builder(m.id(), members, dir.resolve(m.id())).build();
                final CountingStateMachine machine = new CountingStateMachine();
                final RaftServer server = RaftServer.newBuilder().setServerId(RaftPeerId.valueOf(m.id()))
                        .setGroup(group).setProperties(RatisSettings.server(config)).setStateMachine(machine)
                        .setOption(RaftStorage.StartupOption.RECOVER).build();
                server.start();
                machines.put(m.id(), machine);
                servers.put(m.id(), server);
            }
            try (RaftClient client = RaftClient.newBuilder().setRaftGroup(group)
                    .setProperties(RatisSettings.client(any.requestTimeout(), any.maxCommandBytes()))
                    .setRetryPolicy(RatisSettings.retryPolicy(WAIT)).build()) {
                write(client, 5);
                final String leader = leader(servers);
                final String follower = members.stream().map(ClusterMember::id).filter(id -> !id.equals(leader))
                        .findFirst().orElseThrow();
                awaitApplied(servers, machines, follower);

                machines.get(follower).failNextAppend();
                write(client, 20);
                assertThat(machines.get(follower).failedAppends()).as("appends refused on %s", follower)
                        .isEqualTo(1);
                // Every write above was acknowledged, so committed; the follower must take and apply them all.
                awaitApplied(servers, machines, follower);
                write(client, 5);
                awaitApplied(servers, machines, follower);
                assertThat(machines.get(follower).applied()).isEqualTo(machines.get(leader).applied())
                        .isEqualTo(30);
            }
        } finally {
            for (RaftServer s : servers.values()) {
                s.close();
            }
        }
    }

    private static void write(RaftClient client, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            final RaftClientReply reply = client.io().send(Message.valueOf("w" + i));
            assertThat(reply.isSuccess()).as("%s", reply).isTrue();
        }
    }

    private static String leader(Map<String, RaftServer> servers) throws IOException {
        for (Map.Entry<String, RaftServer> e : servers.entrySet()) {
            if (e.getValue().getDivision(GROUP_ID).getInfo().isLeader()) {
                return e.getKey();
            }
        }
        throw new AssertionError("no leader after an acknowledged write");
    }

    /** Waits until {@code id} has applied everything its leader committed. */
    private static void awaitApplied(Map<String, RaftServer> servers, Map<String, CountingStateMachine> machines,
                                     String id) {
        await(id + " applies what the leader committed").atMost(WAIT).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    final String leader = leader(servers);
                    final long committed = servers.get(leader).getDivision(GROUP_ID).getRaftLog()
                            .getLastCommittedIndex();
                    return machines.get(id).getLastAppliedTermIndex().getIndex() >= committed
                            && machines.get(id).applied() == machines.get(leader).applied();
                });
    }

    /** Counts applied writes; its follower-side transaction start fails once when asked to. */
    private static final class CountingStateMachine extends BaseStateMachine {
        private final AtomicInteger applied = new AtomicInteger();
        private final AtomicBoolean failNext = new AtomicBoolean();
        private final AtomicInteger failed = new AtomicInteger();

        void failNextAppend() {
            failNext.set(true);
        }

        int failedAppends() {
            return failed.get();
        }

        int applied() {
            return applied.get();
        }

        @Override
        public TransactionContext startTransaction(LogEntryProto entry, RaftPeerRole role) {
            if (failNext.compareAndSet(true, false)) {
                failed.incrementAndGet();
                throw new IllegalStateException("injected: the log refused this append (index " + entry.getIndex()
                        + ")");
            }
            return super.startTransaction(entry, role);
        }

        @Override
        public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
            final LogEntryProto entry = trx.getLogEntry();
            applied.incrementAndGet();
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
            return CompletableFuture.completedFuture(Message.valueOf(
                    new String(entry.getStateMachineLogEntry().getLogData().toByteArray(), StandardCharsets.UTF_8)));
        }
    }
}
