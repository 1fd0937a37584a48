package dev.kvstore.ops;

import dev.kvstore.replication.SingleNodeMode;
import dev.kvstore.store.IdempotencyStatus;
import dev.kvstore.store.LeaseStatus;
import dev.kvstore.store.WalKeyValueStore;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The {@code leases} health component, always UP (the {@code wal} component says whether writes, and so expiries,
 * go through): how many leases and attached keys there are, how many leases expired, whether deadlines run yet; and
 * the idempotency records remembered, their bytes and bounds, and the repeats answered from them.
 */
@Component("leases")
@SingleNodeMode
class LeaseHealthIndicator implements HealthIndicator {

    private final WalKeyValueStore store;

    LeaseHealthIndicator(WalKeyValueStore store) {
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
        return Health.up()
                .withDetail("leases", l.leases())
                .withDetail("attachedKeys", l.attachedKeys())
                .withDetail("expired", l.expired())
                .withDetail("expiryStarted", l.expiryStarted())
                .withDetail("idempotency", idempotency)
                .build();
    }
}
