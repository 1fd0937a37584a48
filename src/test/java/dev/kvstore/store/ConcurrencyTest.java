package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many threads writing shared and own keys. What readers saw, what the callers were told, and what a restart
 * replays must all agree: the index changes in log order.
 */
class ConcurrencyTest {

    @TempDir
    Path dir;

    @Test
    void concurrentWritersAgreeWithTheLogAfterRestart() throws Exception {
        long seed = Long.getLong("kv.test.seed", System.nanoTime());
        System.out.println("ConcurrencyTest seed=" + seed + " (replay the same operations: -Dkv.test.seed=" + seed + ")");
        int threads = 16;
        int opsPerThread = 300;
        Map<String, Value> own = new ConcurrentHashMap<>();
        AtomicLong creates = new AtomicLong();
        AtomicLong deletes = new AtomicLong();
        Map<String, Value> beforeClose;
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                SplittableRandom rnd = new SplittableRandom(seed + t);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < opsPerThread; i++) {
                        String shared = "shared-" + rnd.nextInt(8);
                        if (rnd.nextInt(4) == 0) {
                            if (store.delete(shared, NONE).outcome() == WriteOutcome.DELETED) {
                                deletes.incrementAndGet();
                            }
                        } else if (store.put(shared, Value.of(id * 1_000_000L + i), NONE).outcome() == WriteOutcome.CREATED) {
                            creates.incrementAndGet();
                        }
                        String mine = "own-" + id + "-" + rnd.nextInt(20);
                        Value v = rnd.nextBoolean() ? Value.of(rnd.nextDouble()) : Value.of("t" + id + "i" + i);
                        store.put(mine, v, NONE);
                        own.put(mine, v);
                        assertThat(store.get(mine).value()).isEqualTo(v);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            beforeClose = store.entries();
        }
        own.forEach((k, v) -> assertThat(beforeClose).containsEntry(k, v));
        long liveShared = beforeClose.keySet().stream().filter(k -> k.startsWith("shared-")).count();
        // Each shared key alternates created/deleted as seen by its writers: creates - deletes = keys alive now.
        assertThat(creates.get() - deletes.get()).isEqualTo(liveShared);

        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
            assertThat(store.entries()).isEqualTo(beforeClose);
            assertThat(store.status().lastRecovery().bytesCut()).isZero();
        }
    }
}
