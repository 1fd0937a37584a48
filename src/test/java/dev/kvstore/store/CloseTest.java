package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Closing under load answers every writer, one way or the other, and keeps every acknowledged write. */
class CloseTest {

    private static final int WRITERS = 8;
    /** Writes each writer has had acknowledged before the store is closed under it. */
    private static final int BEFORE_CLOSE = 20;

    @TempDir
    Path dir;

    @Test
    void closingUnderLoadAnswersEveryWriterAndKeepsWhatWasAcknowledged() throws Exception {
        for (SyncMode mode : SyncMode.values()) {
            Path data = dir.resolve(mode.name());
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(data)
                    .withSync(mode, java.time.Duration.ofMillis(5)));
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
            CountDownLatch underLoad = new CountDownLatch(WRITERS);
            List<Future<Integer>> writers = new ArrayList<>();
            for (int t = 0; t < WRITERS; t++) {
                int id = t;
                writers.add(pool.submit(() -> {
                    for (int i = 0; ; i++) {
                        String key = "w" + id + "-" + i;
                        try {
                            store.put(key, Value.of((long) i), NONE);
                            acknowledged.add(key);
                            if (i + 1 == BEFORE_CLOSE) {
                                underLoad.countDown();
                            }
                        } catch (StoreUnavailableException closed) {
                            assertThat(closed).hasMessageContaining("closed");
                            return i;
                        }
                    }
                }));
            }
            assertThat(underLoad.await(30, TimeUnit.SECONDS)).as("every writer got writes acknowledged").isTrue();
            store.close();
            for (int t = 0; t < WRITERS; t++) {
                // Answered after close (no writer hangs), with every write before the refusal acknowledged.
                int refusedAt = writers.get(t).get(10, TimeUnit.SECONDS);
                assertThat(refusedAt).as("writes acknowledged to writer %d before close", t)
                        .isGreaterThanOrEqualTo(BEFORE_CLOSE);
                for (int i = 0; i < refusedAt; i++) {
                    assertThat(acknowledged).contains("w" + t + "-" + i);
                }
                assertThat(acknowledged).doesNotContain("w" + t + "-" + refusedAt);
            }
            pool.shutdown();

            try (WalKeyValueStore reopened = WalKeyValueStore.open(StoreOptions.defaults(data))) {
                assertThat(reopened.entries().keySet()).as(mode.name()).containsAll(acknowledged);
            }
        }
    }
}
