package dev.kvstore.ops;

import dev.kvstore.store.CompactionStats;
import dev.kvstore.store.RecoveryReport;
import dev.kvstore.store.StoreStatus;
import dev.kvstore.store.WalKeyValueStore;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The {@code wal} health component: UP while the log takes writes, DOWN after a failed append or force (the store
 * then serves reads only, until restarted). Details: log path and size, live bytes and the dead ratio, live keys,
 * sync mode, whether it is writable, what the last recovery did, and compactions (running, counts, the last one).
 */
@Component("wal")
class WalHealthIndicator implements HealthIndicator {

    private final WalKeyValueStore store;

    WalHealthIndicator(WalKeyValueStore store) {
        this.store = store;
    }

    @Override
    public Health health() {
        StoreStatus s = store.status();
        Health.Builder health = s.writable() ? Health.up() : Health.down().withDetail("failure", s.failure());
        return health.withDetail("log", s.log().toString())
                .withDetail("logBytes", s.logBytes())
                .withDetail("liveBytes", s.liveBytes())
                .withDetail("deadRatio", Math.round(s.deadRatio() * 1000) / 1000.0)
                .withDetail("liveKeys", s.liveKeys())
                .withDetail("revision", s.revision())
                .withDetail("sync", s.syncMode().name().toLowerCase(java.util.Locale.ROOT))
                .withDetail("writable", s.writable())
                .withDetail("lastRecovery", recovery(s.lastRecovery()))
                .withDetail("compaction", compaction(s.compaction()))
                .build();
    }

    private static Map<String, Object> compaction(CompactionStats c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("running", c.running());
        m.put("completed", c.completed());
        m.put("failed", c.failed());
        m.put("last", c.last() == null ? null : AdminController.CompactionView.of(c.last()));
        return m;
    }

    private static Map<String, Object> recovery(RecoveryReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("createdLog", r.created());
        m.put("framesReplayed", r.framesReplayed());
        m.put("validBytes", r.validBytes());
        m.put("bytesCut", r.bytesCut());
        m.put("cut", r.cut().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        if (r.cutReason() != null) {
            m.put("cutReason", r.cutReason().description());
        }
        if (r.setAside() != null) {
            m.put("setAside", r.setAside().toString());
        }
        m.put("repaired", r.repaired());
        m.put("durationMs", r.duration().toNanos() / 1_000_000.0);
        return m;
    }
}
