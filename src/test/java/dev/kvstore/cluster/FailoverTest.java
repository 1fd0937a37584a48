package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writers on every node while the leader is closed and restarted, three times: every acknowledged write is on every
 * node afterwards, with the revision it was acknowledged with, and the replicas are identical at the same applied
 * position.
 * <p>
 * And every write is applied once. A leader that closes may have committed entries it never answered for; the nodes
 * that proposed them send them again to the next leader, which knows them from its retry cache only if every attempt
 * carries the same client and call ids ({@link EntryProposer}); otherwise it applies them a second time. Every write
 * puts a key of its own, so on a replica that applied each write once the revision (one per applied write) equals
 * the number of keys, whatever became of the writes that failed.
 */
class FailoverTest {

    private static final int ROUNDS = Integer.getInteger("kv.failover.rounds", 3);
    private static final int WRITERS_PER_NODE = 3;

    @Test
    void noAcknowledgedWriteIsLostWhenTheLeaderGoesAwayAndComesBack(@TempDir Path dir) throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 3, b -> b).startAll()) {
            cluster.awaitLeader();
            final Map<String, Long> acknowledged = new ConcurrentHashMap<>();
            final AtomicInteger unknown = new AtomicInteger();
            /** (acknowledged at, revision) of every acknowledged write, in nanoTime. */
            final Queue<long[]> acks = new ConcurrentLinkedQueue<>();
            final AtomicBoolean stop = new AtomicBoolean();
            final List<Thread> writers = new ArrayList<>();
            for (String id : cluster.running()) {
                for (int w = 0; w < WRITERS_PER_NODE; w++) {
                    final String name = id + "-" + w;
                    final Thread writer = new Thread(() -> {
                        for (int i = 0; !stop.get(); i++) {
                            final ClusterNode node = cluster.nodeOrNull(id);
                            if (node == null) { // this writer's node is down: wait for it to come back
                                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                                continue;
                            }
                            final String key = name + "-" + i;
                            try {
                                final FakeKvState.Result r = FakeKvState.result(
                                        node.client().write(FakeKvState.put(key, key)));
                                acknowledged.put(key, r.revision());
                                acks.add(new long[] {System.nanoTime(), r.revision()});
                            } catch (ClusterUnavailableException e) {
                                unknown.incrementAndGet(); // may or may not be applied: not checked either way
                            }
                        }
                    }, "writer-" + name);
                    writer.start();
                    writers.add(writer);
                }
            }
            final List<Long> failoverMillis = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                awaitMoreAcks(acknowledged, 20);
                final String leader = cluster.awaitLeader();
                final FakeKvState old = cluster.state(leader);
                final long closing = System.nanoTime();
                cluster.stop(leader);
                // Closing takes up to 6 s more after the leader stepped down (Ratis waits up to 3 s for each of its
                // gRPC channels to a peer to drain), while the others elect a leader and acknowledge writes. A write
                // with a revision above the last one the old leader applied was committed by a newer leader.
                final long lastOld = old.revision();
                await("a write acknowledged by a new leader").atMost(TestCluster.WAIT)
                        .pollInterval(Duration.ofMillis(2)).until(() -> firstAckAbove(acks, lastOld, closing) > 0);
                failoverMillis.add(TimeUnit.NANOSECONDS.toMillis(firstAckAbove(acks, lastOld, closing) - closing));
                awaitMoreAcks(acknowledged, 20);
                cluster.start(leader);
            }
            awaitMoreAcks(acknowledged, 20);
            stop.set(true);
            for (Thread w : writers) {
                w.join(TestCluster.WAIT.toMillis());
            }
            cluster.awaitLeader();
            final String digest = cluster.awaitConverged();

            System.out.printf("failover (leader close begins -> first write acknowledged by a new leader), %d "
                    + "rounds: %s ms; %d writes acknowledged, %d with unknown outcome; digest %s%n", ROUNDS,
                    failoverMillis, acknowledged.size(), unknown.get(), digest);
            for (String id : cluster.running()) {
                final FakeKvState state = cluster.state(id);
                assertThat(state.revision()).as("writes applied on %s: one per key written", id)
                        .isEqualTo(state.size());
                acknowledged.forEach((key, revision) -> {
                    final FakeKvState.Result r = state.read(key);
                    assertThat(r.valueText()).as("%s on %s", key, id).isEqualTo(key);
                    assertThat(r.revision()).as("revision of %s on %s", key, id).isEqualTo(revision);
                });
            }
        }
    }

    /** When the first write acknowledged after {@code since} with a revision above {@code revision} was; 0: none. */
    private static long firstAckAbove(Queue<long[]> acks, long revision, long since) {
        return acks.stream().filter(a -> a[0] > since && a[1] > revision).mapToLong(a -> a[0]).min().orElse(0);
    }

    private static void awaitMoreAcks(Map<String, Long> acknowledged, int more) {
        final int target = acknowledged.size() + more;
        await("%d more acknowledged writes".formatted(more)).atMost(TestCluster.WAIT)
                .pollInterval(Duration.ofMillis(10)).until(() -> acknowledged.size() >= target);
    }
}
