package dev.kvstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Closing under load answers every writer, one way or the other, and keeps every acknowledged write. */
class CloseTest {

    @TempDir
    Path dir;

    @Test
    void closingUnderLoadAnswersEveryWriterAndKeepsWhatWasAcknowledged() throws Exception {
        for (SyncMode mode : SyncMode.values()) {
            Path data = dir.resolve(mode.name());
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(data)
                    .withSync(mode, java.time.Duration.ofMillis(5)));
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<Integer>> writers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int id = t;
                writers.add(pool.submit(() -> {
                    for (int i = 0; ; i++) {
                        String key = "w" + id + "-" + i;
                        try {
                            store.set(key, Value.of((long) i));
                            acknowledged.add(key);
                        } catch (StoreUnavailableException closed) {
                            assertThat(closed).hasMessageContaining("closed");
                            return i;
                        }
                    }
                }));
            }
            Thread.sleep(150);
            store.close();
            for (Future<Integer> w : writers) {
                assertThat(w.get(10, TimeUnit.SECONDS)).as("a writer was answered after close").isNotNegative();
            }
            pool.shutdown();

            try (WalKeyValueStore reopened = WalKeyValueStore.open(StoreOptions.defaults(data))) {
                assertThat(acknowledged).isNotEmpty();
                assertThat(reopened.entries().keySet()).as(mode.name()).containsAll(acknowledged);
            }
        }
    }
}
