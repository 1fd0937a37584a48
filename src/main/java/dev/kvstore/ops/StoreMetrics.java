package dev.kvstore.ops;

import dev.kvstore.store.StoreObserver;
import dev.kvstore.store.WalKeyValueStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;

/**
 * The store's metrics: {@code kv.operations} by op and outcome, {@code kv.wal.force} (a latency histogram),
 * {@code kv.wal.group.writes} (writes per group commit), {@code kv.wal.log.bytes} and {@code kv.keys}.
 */
@Component
public class StoreMetrics implements StoreObserver, SmartInitializingSingleton {

    private final MeterRegistry registry;
    private final ObjectProvider<WalKeyValueStore> store;
    private final Map<String, Counter> operations = new ConcurrentHashMap<>();
    private final Timer forceOk;
    private final Timer forceFailed;
    private final DistributionSummary groupWrites;
    private final DistributionSummary groupBytes;

    public StoreMetrics(MeterRegistry registry, ObjectProvider<WalKeyValueStore> store) {
        this.registry = registry;
        this.store = store;
        this.forceOk = forceTimer("ok");
        this.forceFailed = forceTimer("failed");
        this.groupWrites = DistributionSummary.builder("kv.wal.group.writes")
                .description("Writes logged per group commit (one write call, at most one force)")
                .publishPercentileHistogram().register(registry);
        this.groupBytes = DistributionSummary.builder("kv.wal.group.bytes").baseUnit("bytes")
                .description("Bytes logged per group commit").register(registry);
    }

    private Timer forceTimer(String outcome) {
        return Timer.builder("kv.wal.force").description("Time to force the log to stable storage")
                .tag("outcome", outcome).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }

    @Override
    public void afterSingletonsInstantiated() {
        WalKeyValueStore s = store.getObject();
        Gauge.builder("kv.wal.log.bytes", s, st -> st.status().logBytes()).baseUnit("bytes")
                .description("Bytes in the write-ahead log").register(registry);
        Gauge.builder("kv.keys", s, WalKeyValueStore::size).description("Live keys").register(registry);
        Gauge.builder("kv.wal.writable", s, st -> st.status().writable() ? 1 : 0)
                .description("1 while the store takes writes, 0 after a log failure").register(registry);
    }

    @Override
    public void onOperation(Operation operation, String outcome) {
        operations.computeIfAbsent(operation.name() + '/' + outcome, k -> Counter.builder("kv.operations")
                .description("Store operations by kind and outcome")
                .tag("op", operation.name().toLowerCase(java.util.Locale.ROOT)).tag("outcome", outcome)
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
}
