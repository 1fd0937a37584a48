package dev.kvstore.ops;

import dev.kvstore.replication.SingleNodeMode;
import dev.kvstore.store.ChangeFeed;
import dev.kvstore.store.CompactionStats;
import dev.kvstore.store.Diagnosis;
import dev.kvstore.store.RecoveryReport;
import dev.kvstore.store.SetAsideCopies;
import dev.kvstore.store.StoreStatus;
import dev.kvstore.store.WalKeyValueStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The {@code wal} health component: UP while the log takes writes; DOWN after a failed force or a failure of the
 * writer itself (the store then serves reads only, until restarted), while the last append failed (a full disk: it
 * turns UP again once a write succeeds), and while the writer has been stuck on one group for longer than
 * {@code kv.wal.write-timeout} (a disk that does not answer). Details: log path and size, live bytes and the dead
 * ratio, live keys, sync mode, whether it is writable, the forced mark (its bytes, and why its last write failed),
 * what the last recovery did, the copies recovery set aside that are kept, compactions (running, counts, the last
 * one), and the change feed's history (the oldest revision a watch can start from, what it holds).
 */
@Component("wal")
@SingleNodeMode
class WalHealthIndicator implements HealthIndicator {

    private final WalKeyValueStore store;

    WalHealthIndicator(WalKeyValueStore store) {
        this.store = store;
    }

    @Override
    public Health health() {
        StoreStatus s = store.status();
        boolean stalled = s.stalled();
        Health.Builder health = s.writable() && !stalled ? Health.up() : Health.down();
        if (!s.writable()) {
            health.withDetail("failure", s.failure());
        }
        if (stalled) {
            health.withDetail("stalled", String.format("the writer has waited %d ms for the disk on one group, longer"
                    + " than kv.wal.write-timeout (%d ms)", s.busy().toMillis(), s.writeTimeout().toMillis()));
        }
        return health.withDetail("log", s.log().toString())
                .withDetail("logBytes", s.logBytes())
                .withDetail("liveBytes", s.liveBytes())
                .withDetail("deadRatio", Math.round(s.deadRatio() * 1000) / 1000.0)
                .withDetail("liveKeys", s.liveKeys())
                .withDetail("revision", s.revision())
                .withDetail("sync", s.syncMode().name().toLowerCase(java.util.Locale.ROOT))
                .withDetail("writable", s.writable())
                .withDetail("forcedMark", mark(s))
                .withDetail("lastRecovery", recovery(s.lastRecovery()))
                .withDetail("setAside", setAside(s.setAside()))
                .withDetail("compaction", compaction(s.compaction()))
                .withDetail("history", history(store.feed().stats()))
                .build();
    }

    /** The change feed's history: from which revision a watch can start, and what it holds. */
    static Map<String, Object> history(ChangeFeed.Stats h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("compactRevision", h.compactRevision());
        m.put("revision", h.revision());
        m.put("events", h.events());
        m.put("bytes", h.bytes());
        m.put("retentionBytes", h.retentionBytes());
        m.put("logBytes", h.logBytes());
        m.put("floorCause", h.floorCause());
        return m;
    }

    private static Map<String, Object> mark(StoreStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bytes", s.markedBytes());
        m.put("failure", s.markFailure());
        return m;
    }

    private static Map<String, Object> setAside(SetAsideCopies copies) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Map<String, Object>> kept = new ArrayList<>();
        for (SetAsideCopies.Copy c : copies.kept()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("file", c.name());
            one.put("bytes", c.bytes());
            kept.add(one);
        }
        m.put("kept", kept);
        m.put("keptBytes", copies.keptBytes());
        m.put("prunedAtStart", copies.pruned());
        return m;
    }

    private static Map<String, Object> compaction(CompactionStats c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("running", c.running());
        m.put("completed", c.completed());
        m.put("failed", c.failed());
        m.put("last", c.last() == null ? null : AdminController.CompactionView.of(c.last()));
        return m;
    }

    /** Why recovery cut the end of the log: {@code none}, {@code torn-tail}, {@code lost-write} or {@code repair}. */
    private static String cut(RecoveryReport r) {
        if (r.repaired()) {
            return "repair";
        }
        return r.diagnosis().kind() == Diagnosis.Kind.SOUND ? "none"
                : r.diagnosis().kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    private static Map<String, Object> recovery(RecoveryReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("createdLog", r.created());
        m.put("framesReplayed", r.framesReplayed());
        m.put("validBytes", r.validBytes());
        m.put("bytesCut", r.bytesCut());
        m.put("cut", cut(r));
        if (r.diagnosis().defect() != null) {
            m.put("cutReason", r.diagnosis().defect().description());
        }
        if (r.setAside() != null) {
            m.put("setAside", r.setAside().toString());
        }
        m.put("repaired", r.repaired());
        m.put("forcedMark", r.diagnosis().mark().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        m.put("durationMs", r.duration().toNanos() / 1_000_000.0);
        return m;
    }
}
