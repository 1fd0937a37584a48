package dev.kvstore.ops;

import dev.kvstore.store.CompactionResult;
import dev.kvstore.store.StoreObserver;
import dev.kvstore.store.WalKeyValueStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;

/**
 * The store's metrics: {@code kv.operations} by op and outcome, {@code kv.wal.force} (a latency histogram),
 * {@code kv.wal.group.writes} (writes per group commit), {@code kv.wal.log.bytes}, {@code kv.wal.live.bytes},
 * {@code kv.wal.dead.ratio}, {@code kv.keys} and {@code kv.revision}; for the change feed, {@code kv.history.*}; for
 * compaction, {@code kv.compaction} (count and duration by
 * trigger and outcome), {@code kv.compaction.pause}, {@code kv.compaction.running} and the last one's sizes in
 * {@code kv.compaction.last.bytes}; for leases, {@code kv.leases}, {@code kv.leases.keys}, {@code kv.leases.expired}
 * and {@code kv.leases.expiry.lateness}; for idempotency keys, {@code kv.idempotency.keys},
 * {@code kv.idempotency.bytes} and {@code kv.idempotency.replays}. It also logs each compaction's result.
 */
@Component
public class StoreMetrics implements StoreObserver, SmartInitializingSingleton {

    private static final Log LOG = LogFactory.getLog(WalKeyValueStore.class);

    private final MeterRegistry registry;
    private final ObjectProvider<WalKeyValueStore> store;
    private final Map<Operation, Map<String, Counter>> operations = new java.util.EnumMap<>(Operation.class);
    private final Timer forceOk;
    private final Timer forceFailed;
    private final DistributionSummary groupWrites;
    private final DistributionSummary groupBytes;
    private final Timer compactionPause;
    private final Timer expiryLateness;

    public StoreMetrics(MeterRegistry registry, ObjectProvider<WalKeyValueStore> store) {
        this.registry = registry;
        for (Operation op : Operation.values()) {
            operations.put(op, new ConcurrentHashMap<>());
        }
        this.store = store;
        this.forceOk = forceTimer("ok");
        this.forceFailed = forceTimer("failed");
        this.groupWrites = DistributionSummary.builder("kv.wal.group.writes")
                .description("Writes logged per group commit (one write call, at most one force)")
                .publishPercentileHistogram().register(registry);
        this.groupBytes = DistributionSummary.builder("kv.wal.group.bytes").baseUnit("bytes")
                .description("Bytes logged per group commit").register(registry);
        this.compactionPause = Timer.builder("kv.compaction.pause")
                .description("How long writes waited while a compacted log took over").publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        this.expiryLateness = Timer.builder("kv.leases.expiry.lateness")
                .description("How long after its deadline a lease expired (its keys deleted)")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
    }

    private static double lastBytes(CompactionResult r, boolean before) {
        return r == null ? Double.NaN : before ? r.bytesBefore() : r.bytesAfter();
    }

    private Timer forceTimer(String outcome) {
        return Timer.builder("kv.wal.force").description("Time to force the log to stable storage")
                .tag("outcome", outcome).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }

    @Override
    public void afterSingletonsInstantiated() {
        WalKeyValueStore s = store.getIfAvailable();
        if (s == null) {
            return; // cluster mode: ClusterMetrics
        }
        Gauge.builder("kv.wal.log.bytes", s, st -> st.status().logBytes()).baseUnit("bytes")
                .description("Bytes in the write-ahead log").register(registry);
        Gauge.builder("kv.keys", s, WalKeyValueStore::size).description("Live keys").register(registry);
        Gauge.builder("kv.revision", s, WalKeyValueStore::revision)
                .description("Revision of the last write: the global counter every change steps").register(registry);
        Gauge.builder("kv.wal.live.bytes", s, st -> st.status().liveBytes()).baseUnit("bytes")
                .description("Bytes the live entries take in the log: the size of a freshly compacted log")
                .register(registry);
        Gauge.builder("kv.wal.dead.ratio", s, st -> st.status().deadRatio())
                .description("Share of the log that compaction would drop").register(registry);
        Gauge.builder("kv.compaction.running", s, st -> st.status().compaction().running() ? 1 : 0)
                .description("1 while a compaction runs").register(registry);
        Gauge.builder("kv.compaction.last.bytes", s, st -> lastBytes(st.status().compaction().last(), true))
                .baseUnit("bytes").tag("when", "before").description("Log size before the last compaction")
                .register(registry);
        Gauge.builder("kv.compaction.last.bytes", s, st -> lastBytes(st.status().compaction().last(), false))
                .baseUnit("bytes").tag("when", "after").description("Log size after the last compaction")
                .register(registry);
        Gauge.builder("kv.wal.writable", s, st -> st.status().writable() ? 1 : 0)
                .description("1 while the store takes writes, 0 after a log failure").register(registry);
        Gauge.builder("kv.history.compact.revision", s, st -> st.feed().compactRevision())
                .description("The oldest revision a watch can start from: the change feed holds every change since")
                .register(registry);
        Gauge.builder("kv.history.events", s, st -> st.feed().stats().events())
                .description("Revisions the change feed's history holds").register(registry);
        Gauge.builder("kv.history.bytes", s, st -> st.feed().stats().bytes()).baseUnit("bytes")
                .description("The change feed's history, in the estimated heap it takes (kv.history.retention)")
                .register(registry);
        Gauge.builder("kv.history.log.bytes", s, st -> st.feed().stats().logBytes()).baseUnit("bytes")
                .description("Bytes of the log holding the history's changes: what compaction keeps besides the"
                        + " live entries").register(registry);
        Gauge.builder("kv.leases", s, st -> st.leaseStatus().leases()).description("Leases granted and not ended")
                .register(registry);
        Gauge.builder("kv.leases.keys", s, st -> st.leaseStatus().attachedKeys())
                .description("Keys attached to a lease").register(registry);
        FunctionCounter.builder("kv.leases.expired", s, st -> st.leaseStatus().expired())
                .description("Leases expired by this process").register(registry);
        Gauge.builder("kv.idempotency.keys", s, st -> st.idempotencyStatus().keys())
                .description("Idempotency keys remembered").register(registry);
        Gauge.builder("kv.idempotency.bytes", s, st -> st.idempotencyStatus().bytes()).baseUnit("bytes")
                .description("Bytes the remembered idempotency records take in the log").register(registry);
        FunctionCounter.builder("kv.idempotency.replays", s, st -> st.idempotencyStatus().replays())
                .description("Repeated requests answered from an idempotency record").register(registry);
    }

    @Override
    public void onLeaseExpired(long latenessNanos) {
        expiryLateness.record(latenessNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void onOperation(Operation operation, String outcome) {
        // Every request passes here: a lookup by the op, then by the outcome, without building a key string.
        operations.get(operation).computeIfAbsent(outcome, o -> Counter.builder("kv.operations")
                .description("Store operations by kind and outcome")
                .tag("op", operation.name().toLowerCase(java.util.Locale.ROOT)).tag("outcome", o)
                .register(registry)).increment();
    }

    @Override
    public void onBatch(int writes, int bytes) {
        groupWrites.record(writes);
        groupBytes.record(bytes);
    }

    @Override
    public void onForce(long nanos, boolean succeeded) {
        (succeeded ? forceOk : forceFailed).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void onCompaction(CompactionResult r) {
        Timer.builder("kv.compaction").description("Compactions, by what started them and how they ended")
                .tag("trigger", r.trigger().name().toLowerCase(Locale.ROOT))
                .tag("outcome", r.outcome().name().toLowerCase(Locale.ROOT))
                .register(registry).record(r.duration());
        if (r.completed()) {
            compactionPause.record(r.pause());
            LOG.info(String.format("Compacted the log (%s): %d -> %d bytes (%d live entries, %d live bytes) in %d ms;"
                    + " writes paused %.2f ms", r.trigger().name().toLowerCase(Locale.ROOT), r.bytesBefore(),
                    r.bytesAfter(), r.entries(), r.liveBytes(), r.duration().toMillis(), r.pause().toNanos() / 1e6));
        } else {
            LOG.warn(String.format("Compaction (%s) failed after %d ms, the log in use is unchanged (%d bytes): %s",
                    r.trigger().name().toLowerCase(Locale.ROOT), r.duration().toMillis(), r.bytesAfter(),
                    r.failure()));
        }
    }
}
