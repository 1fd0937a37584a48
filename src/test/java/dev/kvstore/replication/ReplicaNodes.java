package dev.kvstore.replication;

import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Collection;
import org.slf4j.LoggerFactory;

/** What the in-JVM cluster tests of this package share about their Ratis nodes. */
final class ReplicaNodes {

    private ReplicaNodes() {
    }

    /** Waits until every node applied the same index, which is also its commit index. */
    static void awaitConverged(Collection<ReplicatedKeyValueStore> nodes, Duration wait) {
        await("every replica at the same applied index").atMost(wait).pollInterval(Duration.ofMillis(20))
                .until(() -> nodes.stream().map(n -> n.replica().appliedIndex()).distinct().count() == 1
                        && nodes.stream().allMatch(n -> n.node().status().appliedIndex()
                        == n.node().status().commitIndex()));
    }

    /** Ratis logs every election and reconnect at INFO: keep the test output readable. */
    static void quietRatis() {
        if (LoggerFactory.getLogger("org.apache.ratis") instanceof Logger logger) {
            logger.setLevel(Level.WARN);
        }
        if (LoggerFactory.getLogger("org.apache.ratis.grpc") instanceof Logger logger) {
            logger.setLevel(Level.ERROR);
        }
    }

    /** A loopback port free at this moment, for a node's Raft address. */
    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
