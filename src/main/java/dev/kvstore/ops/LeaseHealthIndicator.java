package dev.kvstore.ops;

import dev.kvstore.store.IdempotencyStatus;
import dev.kvstore.store.KeyValueStore;
import dev.kvstore.store.LeaseStatus;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.stereotype.Component;

/**
 * The {@code leases} component: how many leases and attached keys there are, how many leases expired, whether
 * deadlines run here (in cluster mode, on the leader only), and the idempotency records remembered, their bytes and
 * bounds, and the repeats answered from them. Its status says whether expiry keeps its promise: DOWN when deadlines
 * run but the thread that expires leases has stopped, OUT_OF_SERVICE when a lease has been past its deadline for
 * more than {@link #FAR_BEHIND} without being expired (its expiry cannot be written: see the {@code wal} or
 * {@code cluster} component), UP otherwise. It is not part of the liveness or readiness groups.
 */
@Component("leases")
class LeaseHealthIndicator implements HealthIndicator {

    /** Steady-state lateness is milliseconds, and at most a second under load: ten times that is a stuck expiry. */
    static final Duration FAR_BEHIND = Duration.ofSeconds(10);

    private final KeyValueStore store;

    LeaseHealthIndicator(KeyValueStore store) {
        this.store = store;
    }

    @Override
    public Health health() {
        LeaseStatus l = store.leaseStatus();
        IdempotencyStatus i = store.idempotencyStatus();
        Map<String, Object> idempotency = new LinkedHashMap<>();
        idempotency.put("keys", i.keys());
        idempotency.put("bytes", i.bytes());
        idempotency.put("replays", i.replays());
        idempotency.put("retention", i.options().retention().toString());
        idempotency.put("maxKeys", i.options().maxKeys());
        idempotency.put("maxBytes", i.options().maxBytes());
        Health.Builder health = Health.status(status(l))
                .withDetail("leases", l.leases())
                .withDetail("attachedKeys", l.attachedKeys())
                .withDetail("expired", l.expired())
                .withDetail("expiryStarted", l.expiryStarted())
                .withDetail("expiryRunning", l.expiryRunning())
                .withDetail("overdueMillis", l.overdueMillis());
        String problem = problem(l);
        if (problem != null) {
            health.withDetail("problem", problem);
        }
        return health.withDetail("idempotency", idempotency).build();
    }

    static Status status(LeaseStatus l) {
        if (l.expiryStarted() && !l.expiryRunning()) {
            return Status.DOWN;
        }
        return l.overdueMillis() > FAR_BEHIND.toMillis() ? Status.OUT_OF_SERVICE : Status.UP;
    }

    private static String problem(LeaseStatus l) {
        if (l.expiryStarted() && !l.expiryRunning()) {
            return "the thread that expires leases has stopped: no lease expires until the service is restarted";
        }
        if (l.overdueMillis() > FAR_BEHIND.toMillis()) {
            return "a lease has been past its deadline for " + l.overdueMillis() + " ms: its expiry cannot be"
                    + " written (see the wal or cluster component); it answers as expired meanwhile";
        }
        return null;
    }
}
