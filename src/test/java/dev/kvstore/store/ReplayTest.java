package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replay rebuilds exactly the state the writes made, on a log of random writes over a few hundred keys: strings of
 * varied lengths and numbers, overwrites, deletes, keys attached to leases, moved between them, detached, and deleted
 * by a lease's end. The entries with their leases, the revision and the bytes a compacted log takes (which replay
 * keeps as frames come) are the same after a restart, and that byte count is the compacted log's size. Prints its
 * seed; {@code -Dkv.test.seed=N} replays one.
 */
class ReplayTest {

    @TempDir
    Path dir;

    private static WriteResult put(WalKeyValueStore store, String key, Value value, KeyLease lease) {
        return (WriteResult) store.execute(new Command.Put(key, value, NONE, lease));
    }

    private static Value value(SplittableRandom r) {
        return switch (r.nextInt(3)) {
            case 0 -> Value.of(r.nextLong());
            case 1 -> Value.of(r.nextDouble());
            default -> Value.of("v".repeat(r.nextInt(1, 200)) + "ü");
        };
    }

    @Test
    void aRestartRebuildsTheSameStateAndTheSameCompactedBytes() throws IOException {
        long seed = Long.getLong("kv.test.seed", System.nanoTime());
        System.out.println("ReplayTest seed=" + seed + " (replay: -Dkv.test.seed=" + seed + ")");
        SplittableRandom r = new SplittableRandom(seed);
        // No change history: a compacted log is then the state alone (with it, also the window's frames and the
        // entries they changed, as they were at the window's start), so its size is exactly the live bytes.
        StoreOptions options = StoreOptions.defaults(dir).withHistoryRetention(1);
        FullState written;
        long liveBytes;
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            List<Long> leases = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                String key = "k/" + r.nextInt(300) + "/" + "x".repeat(r.nextInt(20));
                int op = r.nextInt(20);
                if (op == 0 || leases.isEmpty()) {
                    leases.add(store.grantLease(Duration.ofMinutes(10)).lease());
                } else if (op == 1) {
                    store.revokeLease(leases.remove(r.nextInt(leases.size())), null);
                } else if (op < 5) {
                    store.delete(key, NONE);
                } else if (op < 9) {
                    put(store, key, value(r), KeyLease.of(leases.get(r.nextInt(leases.size()))));
                } else {
                    store.put(key, value(r), NONE);
                }
            }
            written = FullState.of(store);
            liveBytes = store.status().liveBytes();
            assertThat(written.keys().values()).as("some keys are attached to leases").anyMatch(k -> !k.isEmpty());
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            assertThat(FullState.of(store)).isEqualTo(written);
            assertThat(store.status().liveBytes()).isEqualTo(liveBytes);
            store.compact();
            assertThat(Files.size(dir.resolve(StoreOptions.LOG_FILE_NAME))).isEqualTo(liveBytes);
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            assertThat(FullState.of(store)).as("the compacted log, replayed").isEqualTo(written);
            assertThat(store.status().liveBytes()).isEqualTo(liveBytes);
        }
    }
}
