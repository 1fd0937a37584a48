package dev.kvstore.ops;

import dev.kvstore.replication.ClusterMode;
import dev.kvstore.cluster.ClusterStatus;
import dev.kvstore.replication.ReplicatedKeyValueStore;
import java.util.Locale;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The {@code cluster} health component (cluster mode): UP while this node knows a leader and applies the log; DOWN
 * while there is no leader it knows of (an election, or no majority reachable) and after this replica halted (its
 * state failed to apply an entry; a restart rebuilds it). Details: this node's role, the leader, the term, the
 * commit and applied indexes and the lag between them, the members, the store's keys and revision, the newest
 * snapshot, and this node's change-feed history (from which revision a watch can start here, and why not before).
 */
@Component("cluster")
@ClusterMode
class ClusterHealthIndicator implements HealthIndicator {

    private final ReplicatedKeyValueStore store;

    ClusterHealthIndicator(ReplicatedKeyValueStore store) {
        this.store = store;
    }

    @Override
    public Health health() {
        ClusterStatus s = store.node().status();
        Throwable halted = store.node().haltCause();
        Health.Builder health = halted == null && s.hasLeader() ? Health.up() : Health.down();
        if (halted != null) {
            health.withDetail("halted", "this replica stopped applying the log (" + halted + "); restart it to"
                    + " rebuild its state from the last snapshot and the log");
        }
        String role = s.members().stream().filter(m -> m.id().equals(s.nodeId())).findFirst()
                .map(m -> m.role().name().toLowerCase(Locale.ROOT)).orElse("not-a-member");
        return health.withDetail("nodeId", s.nodeId())
                .withDetail("role", role)
                .withDetail("leaderId", s.leaderId() == null ? "none" : s.leaderId())
                .withDetail("term", s.term())
                .withDetail("commitIndex", s.commitIndex())
                .withDetail("appliedIndex", s.appliedIndex())
                .withDetail("lag", Math.max(0, s.commitIndex() - s.appliedIndex()))
                .withDetail("ready", store.node().isReady())
                .withDetail("members", ClusterView.of(s).members())
                .withDetail("liveKeys", store.replica().size())
                .withDetail("revision", store.replica().revision())
                .withDetail("snapshotIndex", store.node().latestSnapshotIndex())
                .withDetail("logStartIndex", store.node().logStartIndex())
                .withDetail("history", WalHealthIndicator.history(store.feed().stats()))
                .build();
    }
}
