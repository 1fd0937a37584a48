package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that cannot reach a majority never answers a write or a linearizable read with success, and gives up
 * within the operation timeout plus one request timeout, so HTTP threads never hang.
 */
class MinorityTest {

    private static final Duration OPERATION = Duration.ofMillis(1500);
    private static final Duration REQUEST = Duration.ofMillis(750);
    /** Scheduling slack on a shared two-core machine. */
    private static final Duration SLACK = Duration.ofSeconds(2);

    @ParameterizedTest(name = "the node left alone was the {0}")
    @ValueSource(strings = {"leader", "follower"})
    void aNodeWithoutAMajorityFailsFast(String was, @TempDir Path dir) {
        try (TestCluster cluster = new TestCluster(dir, 3,
                b -> b.operationTimeout(OPERATION).requestTimeout(REQUEST)).startAll()) {
            final String leader = cluster.awaitLeader();
            final String alone = was.equals("leader") ? leader : cluster.followers(leader).get(0);
            final ClusterClient client = cluster.node(alone).client();
            client.write(FakeKvState.put("k", "before"));
            cluster.awaitConverged();
            cluster.stopAllBut(alone);

            final Duration bound = OPERATION.plus(REQUEST).plus(SLACK);
            assertFailsWithin(bound, "write", () -> client.write(FakeKvState.put("k", "after")));
            assertFailsWithin(bound, "linearizable read", () -> client.read(FakeKvState.get("k")));
            assertFailsWithin(bound, "read barrier", client::readBarrier);

            // Asked for explicitly, a stale read still answers, from what this node has.
            assertThat(FakeKvState.result(client.staleRead(FakeKvState.get("k"))).valueText())
                    .isIn("before", "after");
            assertThat(cluster.node(alone).isReady()).isFalse();
        }
    }

    private static void assertFailsWithin(Duration bound, String what, Executable call) {
        final long start = System.nanoTime();
        assertThatThrownBy(call::execute).as(what).isInstanceOf(ClusterUnavailableException.class);
        final Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.out.printf("minority: %s failed after %d ms%n", what, took.toMillis());
        assertThat(took).as(what + " gave up").isLessThanOrEqualTo(bound);
    }
}
