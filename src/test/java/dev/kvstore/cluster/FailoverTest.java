package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writers on every node while the leader is closed and restarted, three times: every acknowledged write is on every
 * node afterwards, with the revision it was acknowledged with, and the replicas are identical at the same applied
 * position.
 */
class FailoverTest {

    private static final int ROUNDS = 3;

    @Test
    void noAcknowledgedWriteIsLostWhenTheLeaderGoesAwayAndComesBack(@TempDir Path dir) throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 3, b -> b).startAll()) {
            cluster.awaitLeader();
            final Map<String, Long> acknowledged = new ConcurrentHashMap<>();
            final AtomicInteger unknown = new AtomicInteger();
            final AtomicLong lastAck = new AtomicLong();
            final AtomicBoolean stop = new AtomicBoolean();
            final List<Thread> writers = new ArrayList<>();
            for (String id : cluster.running()) {
                final Thread writer = new Thread(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        final ClusterNode node = cluster.nodeOrNull(id);
                        if (node == null) { // this writer's node is down: wait for it to come back
                            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                            continue;
                        }
                        final String key = id + "-" + i;
                        try {
                            final FakeKvState.Result r = FakeKvState.result(
                                    node.client().write(FakeKvState.put(key, key)));
                            acknowledged.put(key, r.revision());
                            lastAck.set(System.nanoTime());
                        } catch (ClusterUnavailableException e) {
                            unknown.incrementAndGet(); // may or may not be applied: not checked either way
                        }
                    }
                }, "writer-" + id);
                writer.start();
                writers.add(writer);
            }
            final List<Long> failoverMillis = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                awaitMoreAcks(acknowledged, 20);
                final String leader = cluster.awaitLeader();
                final long closing = System.nanoTime();
                cluster.stop(leader);
                final long closed = System.nanoTime();
                await("a write acknowledged after the leader closed").atMost(TestCluster.WAIT)
                        .pollInterval(Duration.ofMillis(2)).until(() -> lastAck.get() > closed);
                failoverMillis.add(TimeUnit.NANOSECONDS.toMillis(lastAck.get() - closing));
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

            System.out.printf("failover (leader close begins -> first write acknowledged after it closed), %d "
                    + "rounds: %s ms; %d writes acknowledged, %d with unknown outcome; digest %s%n", ROUNDS,
                    failoverMillis, acknowledged.size(), unknown.get(), digest);
            for (String id : cluster.running()) {
                final FakeKvState state = cluster.state(id);
                acknowledged.forEach((key, revision) -> {
                    final FakeKvState.Result r = state.read(key);
                    assertThat(r.valueText()).as("%s on %s", key, id).isEqualTo(key);
                    assertThat(r.revision()).as("revision of %s on %s", key, id).isEqualTo(revision);
                });
            }
        }
    }

    private static void awaitMoreAcks(Map<String, Long> acknowledged, int more) {
        final int target = acknowledged.size() + more;
        await("%d more acknowledged writes".formatted(more)).atMost(TestCluster.WAIT)
                .pollInterval(Duration.ofMillis(10)).until(() -> acknowledged.size() >= target);
    }
}
