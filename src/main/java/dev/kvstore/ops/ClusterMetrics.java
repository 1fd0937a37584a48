package dev.kvstore.ops;

import dev.kvstore.replication.ClusterMode;
import dev.kvstore.cluster.ClusterNode;
import dev.kvstore.cluster.ClusterStatus;
import dev.kvstore.replication.ReplicatedKeyValueStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

/**
 * Cluster mode's gauges: {@code kv.keys} and {@code kv.revision} of this replica, and {@code kv.cluster.term},
 * {@code kv.cluster.commit.index}, {@code kv.cluster.applied.index}, {@code kv.cluster.leader} (1 on the leader),
 * {@code kv.cluster.leader.known} (0 while this node knows no leader) and {@code kv.cluster.snapshot.index}; the
 * leases' and idempotency records' gauges as in single-node mode ({@code kv.leases.expired} counts the expiries this
 * node proposed as leader). ({@code kv.operations} and {@code kv.leases.expiry.lateness} as in single-node mode,
 * through {@link StoreMetrics}.)
 */
@Component
@ClusterMode
class ClusterMetrics {

    ClusterMetrics(MeterRegistry registry, ReplicatedKeyValueStore store) {
        ClusterNode node = store.node();
        Gauge.builder("kv.keys", store.replica(), r -> r.size()).description("Live keys").register(registry);
        Gauge.builder("kv.revision", store.replica(), r -> r.revision())
                .description("Revision of the last write: the global counter every change steps").register(registry);
        Gauge.builder("kv.cluster.term", node, n -> n.status().term()).description("This node's Raft term")
                .register(registry);
        Gauge.builder("kv.cluster.commit.index", node, n -> n.status().commitIndex())
                .description("Highest Raft log index this node knows committed").register(registry);
        Gauge.builder("kv.cluster.applied.index", node, n -> n.status().appliedIndex())
                .description("Highest Raft log index this node applied").register(registry);
        Gauge.builder("kv.cluster.leader", node, n -> isLeader(n.status()) ? 1 : 0)
                .description("1 while this node is the leader").register(registry);
        Gauge.builder("kv.cluster.leader.known", node, n -> n.status().hasLeader() ? 1 : 0)
                .description("1 while this node knows a leader").register(registry);
        Gauge.builder("kv.cluster.snapshot.index", node, ClusterNode::latestSnapshotIndex)
                .description("Raft log index of this node's newest snapshot").register(registry);
        Gauge.builder("kv.leases", store, st -> st.leaseStatus().leases()).description("Leases granted and not ended")
                .register(registry);
        Gauge.builder("kv.leases.keys", store, st -> st.leaseStatus().attachedKeys())
                .description("Keys attached to a lease").register(registry);
        FunctionCounter.builder("kv.leases.expired", store, st -> st.leaseStatus().expired())
                .description("Leases expired by this node while it led").register(registry);
        Gauge.builder("kv.idempotency.keys", store, st -> st.idempotencyStatus().keys())
                .description("Idempotency keys remembered").register(registry);
        Gauge.builder("kv.idempotency.bytes", store, st -> st.idempotencyStatus().bytes()).baseUnit("bytes")
                .description("Bytes the remembered idempotency records take in the log").register(registry);
        FunctionCounter.builder("kv.idempotency.replays", store, st -> st.idempotencyStatus().replays())
                .description("Repeated requests answered from an idempotency record by this node").register(registry);
        Gauge.builder("kv.history.compact.revision", store, st -> st.feed().compactRevision())
                .description("The oldest revision a watch on this node can start from: its change feed holds every"
                        + " change it applied since").register(registry);
        Gauge.builder("kv.history.events", store, st -> st.feed().stats().events())
                .description("Revisions this node's change feed holds").register(registry);
        Gauge.builder("kv.history.bytes", store, st -> st.feed().stats().bytes()).baseUnit("bytes")
                .description("This node's change feed, in the estimated heap it takes (kv.history.retention)")
                .register(registry);
    }

    private static boolean isLeader(ClusterStatus s) {
        return s.nodeId().equals(s.leaderId());
    }
}
