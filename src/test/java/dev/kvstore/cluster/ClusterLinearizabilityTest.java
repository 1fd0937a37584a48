package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kvstore.cluster.linearizability.History;
import dev.kvstore.cluster.linearizability.LinearizabilityChecker;
import dev.kvstore.cluster.linearizability.Operation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients on every node read (linearizably), write and compare-and-set a few keys while the leader is closed and
 * restarted; the recorded history, with timed-out requests as maybe-applied, must be linearizable.
 */
class ClusterLinearizabilityTest {

    private static final List<String> KEYS = List.of("x", "y", "z");

    @Test
    void theHistoryAcrossALeaderChangeIsLinearizable(@TempDir Path dir) throws Exception {
        final long seed = Long.getLong("kv.test.seed", new Random().nextLong());
        System.out.println("ClusterLinearizabilityTest seed " + seed + " (replay with -Dkv.test.seed=" + seed + ")");
        final History history = new History();
        final AtomicInteger completed = new AtomicInteger();
        final AtomicBoolean stop = new AtomicBoolean();
        try (TestCluster cluster = new TestCluster(dir, 3, b -> b).startAll()) {
            cluster.awaitLeader();
            final List<Thread> clients = new ArrayList<>();
            final AtomicInteger unique = new AtomicInteger();
            int c = 0;
            for (String id : cluster.running()) {
                for (int j = 0; j < 2; j++) {
                    final Random random = new Random(seed + c);
                    final String name = id + "/c" + c++;
                    final Thread t = new Thread(() -> runClient(name, id, cluster, history, random, unique, completed,
                            stop), name);
                    t.start();
                    clients.add(t);
                }
            }
            awaitCompleted(completed, 100);
            final String leader = cluster.awaitLeader();
            cluster.stop(leader);
            awaitCompleted(completed, 120);
            cluster.start(leader);
            awaitCompleted(completed, 80);
            stop.set(true);
            for (Thread t : clients) {
                t.join(TestCluster.WAIT.toMillis());
            }
        }

        final List<Operation> ops = history.operations();
        final LinearizabilityChecker.Report report = new LinearizabilityChecker().check(ops);
        System.out.printf("linearizability: %d operations (%d with unknown outcome) on %d keys: %s%n", ops.size(),
                ops.stream().filter(Operation::unknown).count(), KEYS.size(),
                report.linearizable() ? "linearizable" : "NOT linearizable");
        assertThat(report.linearizable()).as(report.explain()).isTrue();
        assertThat(ops).hasSizeGreaterThanOrEqualTo(300);
    }

    private static void runClient(String name, String nodeId, TestCluster cluster, History history, Random random,
                                  AtomicInteger unique, AtomicInteger completed, AtomicBoolean stop) {
        final Map<String, String> lastSeen = new HashMap<>();
        while (!stop.get()) {
            final ClusterNode node = cluster.nodeOrNull(nodeId);
            if (node == null) { // this client's node is down: wait for it
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                continue;
            }
            final String key = KEYS.get(random.nextInt(KEYS.size()));
            final int dice = random.nextInt(10);
            if (dice < 4) {
                final History.Pending p = history.read(name, key);
                try {
                    final FakeKvState.Result r = FakeKvState.result(node.client().read(FakeKvState.get(key)));
                    p.readOk(r.valueText());
                    lastSeen.put(key, r.valueText());
                } catch (ClusterUnavailableException e) {
                    p.unknown();
                }
            } else if (dice < 7) {
                final String value = name + "#" + unique.incrementAndGet();
                final History.Pending p = history.write(name, key, value);
                try {
                    node.client().write(FakeKvState.put(key, value));
                    p.writeOk();
                } catch (ClusterUnavailableException e) {
                    p.unknown();
                }
            } else {
                final String expected = lastSeen.get(key);
                final String value = name + "#" + unique.incrementAndGet();
                final History.Pending p = history.compareAndSet(name, key, expected, value);
                try {
                    final FakeKvState.Result r = FakeKvState.result(
                            node.client().write(FakeKvState.compareAndSet(key, expected, value)));
                    p.casOk(r.status() == FakeKvState.Status.OK);
                    lastSeen.put(key, r.status() == FakeKvState.Status.OK ? value : r.valueText());
                } catch (ClusterUnavailableException e) {
                    p.unknown();
                }
            }
            completed.incrementAndGet();
        }
    }

    private static void awaitCompleted(AtomicInteger completed, int more) {
        final int target = completed.get() + more;
        await("%d more operations".formatted(more)).atMost(TestCluster.WAIT).pollInterval(Duration.ofMillis(10))
                .until(() -> completed.get() >= target);
    }
}
