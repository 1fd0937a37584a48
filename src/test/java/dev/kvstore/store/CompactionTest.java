package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compaction on the real file system with real forces: what it keeps, what it drops, and how it fails. */
class CompactionTest {

    @TempDir
    Path dir;

    private final FaultInjectingStorage disk = new FaultInjectingStorage();

    /**
     * No change-feed history is kept (a retention of one byte holds no event), so that a compacted log holds exactly
     * the live entries between its REVISION and HISTORY frames; {@code ChangeFeedTest} compacts with history.
     */
    private StoreOptions options() {
        return StoreOptions.defaults(dir).withCompaction(new CompactionPolicy(false, 0, 2.0)).withHistoryRetention(1);
    }

    private WalKeyValueStore open(StoreOptions options) throws IOException {
        return disk.openStore(options);
    }

    private Path log() {
        return dir.resolve(StoreOptions.LOG_FILE_NAME);
    }

    private Path compacting() {
        return dir.resolve((StoreOptions.LOG_FILE_NAME + DataDirectory.COMPACTING_SUFFIX));
    }

    /** Overwrites and deletes over 50 keys of every type; returns what the store must hold. */
    private static Map<String, Value> churn(WalKeyValueStore store, long seed, int writes) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Value> model = new HashMap<>();
        for (int i = 0; i < writes; i++) {
            String key = "k" + r.nextInt(50) + (r.nextBoolean() ? "/ü" : "");
            if (r.nextInt(4) == 0) {
                store.delete(key, NONE);
                model.remove(key);
            } else {
                Value v = switch (r.nextInt(3)) {
                    case 0 -> Value.of("v" + i + "x".repeat(r.nextInt(200)));
                    case 1 -> Value.of(r.nextLong());
                    default -> Value.of(r.nextDouble());
                };
                store.put(key, v, NONE);
                model.put(key, v);
            }
        }
        return model;
    }

    @Test
    void theCompactedLogHoldsExactlyTheLiveEntries() throws IOException {
        Map<String, Value> model;
        CompactionResult result;
        try (WalKeyValueStore store = open(options())) {
            model = churn(store, 1, 3000);
            long before = Files.size(log());
            result = store.compact();
            assertThat(result.completed()).isTrue();
            assertThat(result.bytesBefore()).isEqualTo(before);
            assertThat(result.bytesAfter()).isEqualTo(Files.size(log())).isEqualTo(store.status().liveBytes())
                    .isEqualTo(result.liveBytes()).isLessThan(before / 5);
            assertThat(result.entries()).isEqualTo(model.size());
            assertThat(store.entries()).isEqualTo(model);
            assertThat(store.status().logBytes()).isEqualTo(result.bytesAfter());
            assertThat(store.status().deadRatio()).isZero();
            assertThat(store.status().compaction().completed()).isEqualTo(1);
        }
        assertThat(compacting()).doesNotExist();
        try (WalKeyValueStore reopened = open(options())) {
            assertThat(reopened.entries()).isEqualTo(model);
            // one SET frame per live key, between the REVISION and the HISTORY frames
            assertThat(reopened.status().lastRecovery().framesReplayed()).isEqualTo(model.size() + 2);
            assertThat(reopened.status().lastRecovery().bytesCut()).isZero();
            assertThat(reopened.status().liveBytes()).isEqualTo(result.bytesAfter());
        }
    }

    @Test
    void deletedKeysStayDeletedAfterCompactionAndRestart() throws IOException {
        try (WalKeyValueStore store = open(options())) {
            store.put("gone", Value.of("x"), NONE);
            store.put("kept", Value.of(1L), NONE);
            store.delete("gone", NONE);
            store.compact();
            store.put("late", Value.of("y"), NONE);
            store.delete("late", NONE);
        }
        try (WalKeyValueStore reopened = open(options())) {
            assertThat(reopened.entries()).containsOnlyKeys("kept");
        }
    }

    @Test
    void writesAfterCompactionGoToTheNewLogAndSurviveRestart() throws IOException {
        Map<String, Value> model;
        try (WalKeyValueStore store = open(options())) {
            model = new HashMap<>(churn(store, 2, 500));
            store.compact();
            store.put("after", Value.of("compaction"), NONE);
            model.put("after", Value.of("compaction"));
            store.compact();
            store.compact();
        }
        try (WalKeyValueStore reopened = open(options())) {
            assertThat(reopened.entries()).isEqualTo(model);
        }
    }

    @Test
    void readsAndWritesGoOnWhileCompactionsRun() throws Exception {
        int writers = 4;
        List<Map<String, Value>> models = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Map<String, Value> stable = new ConcurrentHashMap<>();
        int compactions = 0;
        try (WalKeyValueStore store = open(options().withSync(SyncMode.NONE, null))) {
            for (int i = 0; i < 200; i++) {
                store.put("stable/" + i, Value.of((long) i), NONE);
                stable.put("stable/" + i, Value.of((long) i));
            }
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                Map<String, Value> model = new HashMap<>();
                models.add(model);
                int id = w;
                threads.add(new Thread(() -> {
                    SplittableRandom r = new SplittableRandom(id);
                    for (int i = 0; !stop.get(); i++) {
                        String key = "w" + id + "/" + r.nextInt(30);
                        if (r.nextInt(3) == 0) {
                            store.delete(key, NONE);
                            model.remove(key);
                        } else {
                            store.put(key, Value.of("v" + i), NONE);
                            model.put(key, Value.of("v" + i));
                        }
                    }
                }));
            }
            threads.add(new Thread(() -> {
                while (!stop.get()) {
                    stable.forEach((k, v) -> {
                        Value read = valueOf(store.get(k));
                        if (!v.equals(read)) {
                            failure.compareAndSet(null, new AssertionError(k + " read as " + read));
                        }
                    });
                }
            }));
            threads.forEach(Thread::start);
            long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < until) {
                assertThat(store.compact().completed()).isTrue();
                compactions++;
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            Map<String, Value> expected = new HashMap<>(stable);
            models.forEach(expected::putAll);
            assertThat(failure.get()).isNull();
            assertThat(store.entries()).isEqualTo(expected);
            assertThat(store.status().compaction().completed()).isEqualTo(compactions);
        }
        Map<String, Value> expected = new HashMap<>(stable);
        models.forEach(expected::putAll);
        try (WalKeyValueStore reopened = open(options())) {
            assertThat(reopened.entries()).isEqualTo(expected);
        }
        assertThat(compactions).isGreaterThan(1);
    }

    @Test
    void startsOnItsOwnOnceTheLogOutgrowsBothThresholds() throws Exception {
        // Plain frames, so that the repeated values below take the bytes the thresholds are counted in.
        StoreOptions auto = options().withCompaction(new CompactionPolicy(true, 64 * 1024, 2.0))
                .withSync(SyncMode.NONE, null).withCompression(Integer.MAX_VALUE);
        try (WalKeyValueStore store = open(auto)) {
            for (int i = 0; i < 10; i++) {
                store.put("big" + i, Value.of("x".repeat(5000)), NONE);
            }
            // 50 KB live, under the 64 KiB minimum: overwriting up to 100 KB does not start one.
            for (int i = 0; i < 8; i++) {
                store.put("big" + i, Value.of("y".repeat(5000)), NONE);
            }
            assertThat(Files.size(log())).isBetween(64L * 1024, 2 * store.status().liveBytes());
            Thread.sleep(200);
            assertThat(store.status().compaction().completed()).isZero();
            for (int i = 0; i < 100; i++) {
                store.put("big" + (i % 10), Value.of("z" + i + "x".repeat(5000)), NONE);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (store.status().compaction().completed() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            CompactionStats stats = store.status().compaction();
            assertThat(stats.completed()).isGreaterThanOrEqualTo(1);
            assertThat(stats.last().trigger()).isEqualTo(CompactionResult.Trigger.AUTO);
            assertThat(stats.last().bytesBefore()).isGreaterThan(2 * stats.last().liveBytes());
        }
    }

    @Test
    void aLogThatOutgrewTheThresholdsBeforeARestartIsCompactedAtOpen() throws Exception {
        try (WalKeyValueStore store = open(options().withSync(SyncMode.NONE, null))) {
            for (int i = 0; i < 200; i++) {
                store.put("k" + (i % 5), Value.of("x".repeat(1000) + i), NONE);
            }
        }
        long before = Files.size(log());
        StoreOptions auto = options().withCompaction(new CompactionPolicy(true, 64 * 1024, 2.0));
        try (WalKeyValueStore store = open(auto)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (store.status().compaction().completed() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(store.status().compaction().completed()).isEqualTo(1);
            assertThat(Files.size(log())).isEqualTo(store.status().liveBytes()).isLessThan(before / 10);
        }
    }

    @Test
    void refusesWhenTheDiskLacksRoomAndChangesNothing() throws IOException {
        try (WalKeyValueStore store = open(options())) {
            churn(store, 3, 300);
            byte[] before = Files.readAllBytes(log());
            disk.usableSpace = store.status().liveBytes() + Compactor.HEADROOM_RESERVE - 1;
            assertThatThrownBy(store::compact).isInstanceOfSatisfying(InsufficientSpaceException.class, e -> {
                assertThat(e.usable()).isEqualTo(disk.usableSpace);
                assertThat(e.needed()).isGreaterThan(e.usable());
                assertThat(e.getMessage()).contains("free some space");
            });
            assertThat(Files.readAllBytes(log())).isEqualTo(before);
            assertThat(compacting()).doesNotExist();
            assertThat(store.status().compaction().failed()).isEqualTo(1);
            assertThat(store.status().compaction().last().failure()).contains("needs");
            store.put("still", Value.of("writable"), NONE);
        }
    }

    @Test
    void aDiskFullWhileWritingTheNewLogLeavesTheOldOneInUse() throws IOException {
        Map<String, Value> model;
        try (WalKeyValueStore store = open(options())) {
            model = new HashMap<>(churn(store, 4, 400));
            disk.failCompactingWrites = new IOException("No space left on device");
            assertThatThrownBy(store::compact).isInstanceOf(IOException.class).hasMessageContaining("No space");
            disk.failCompactingWrites = null;
            assertThat(compacting()).doesNotExist();
            assertThat(store.status().writable()).isTrue();
            store.put("after", Value.of(7L), NONE);
            model.put("after", Value.of(7L));
            assertThat(store.status().compaction().last().outcome()).isEqualTo(CompactionResult.Outcome.FAILED);
        }
        try (WalKeyValueStore reopened = open(options())) {
            assertThat(reopened.entries()).isEqualTo(model);
        }
    }

    @Test
    void aFailedRenameLeavesTheOldLogInUse() throws IOException {
        Map<String, Value> model;
        try (WalKeyValueStore store = open(options())) {
            model = new HashMap<>(churn(store, 5, 400));
            long size = Files.size(log());
            disk.failMove = new IOException("Operation not permitted");
            assertThatThrownBy(store::compact).isInstanceOf(IOException.class);
            disk.failMove = null;
            assertThat(Files.size(log())).isEqualTo(size);
            assertThat(compacting()).doesNotExist();
            store.put("after", Value.of(8L), NONE);
            model.put("after", Value.of(8L));
        }
        try (WalKeyValueStore reopened = open(options())) {
            assertThat(reopened.entries()).isEqualTo(model);
            assertThat(reopened.status().lastRecovery().bytesCut()).isZero();
        }
    }

    @Test
    void aFailedDirectoryForceAfterTheRenameStopsWritesAndLosesNothing() throws IOException {
        Map<String, Value> model;
        try (WalKeyValueStore store = open(options())) {
            model = churn(store, 6, 400);
            disk.failDirectoryForce = new IOException("Input/output error");
            assertThatThrownBy(store::compact).isInstanceOf(IOException.class);
            disk.failDirectoryForce = null;
            assertThat(store.status().writable()).isFalse();
            assertThatThrownBy(() -> store.put("refused", Value.of(1L), NONE).outcome()).isInstanceOf(StoreUnavailableException.class);
            assertThat(store.entries()).isEqualTo(model);
        }
        try (WalKeyValueStore reopened = open(options())) {
            assertThat(reopened.entries()).isEqualTo(model);
        }
    }

    @Test
    void refusesASecondCompactionWhileOneRuns() throws Exception {
        try (WalKeyValueStore store = open(options().withSync(SyncMode.NONE, null))) {
            churn(store, 7, 200);
            disk.holdForces();
            AtomicReference<Object> first = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    first.set(store.compact());
                } catch (IOException | RuntimeException e) {
                    first.set(e);
                }
            });
            t.start();
            assertThat(disk.forceEntered.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(store.status().compaction().running()).isTrue();
            assertThatThrownBy(store::compact).isInstanceOf(CompactionRunningException.class);
            // Held while copying, before the pause: reads and writes go on.
            store.put("during", Value.of(1L), NONE);
            assertThat(store.get("during").value()).isEqualTo(Value.of(1L));
            disk.releaseForces();
            t.join(10_000);
            assertThat(first.get()).isInstanceOf(CompactionResult.class);
            assertThat(store.status().compaction().running()).isFalse();
            assertThat(store.get("during").value()).isEqualTo(Value.of(1L));
        }
    }

    @Test
    void refusesWhenTheStoreIsReadOnlyAfterAFailure() throws IOException {
        try (WalKeyValueStore store = open(options())) {
            store.put("a", Value.of(1L), NONE);
            // A failed force makes the store read-only; a failed append cut back cleanly would not (WriteFailureTest).
            disk.failForces("Input/output error");
            assertThatThrownBy(() -> store.put("b", Value.of(2L), NONE).outcome()).isInstanceOf(StoreUnavailableException.class);
            assertThatThrownBy(store::compact).isInstanceOf(StoreUnavailableException.class);
        }
    }

    @Test
    void aLogFromTheReferenceEncoderCompactsAndRecovers() throws IOException {
        Files.write(log(), GoldenLogs.bytes("basic.log"));
        Map<String, Value> before;
        try (WalKeyValueStore store = open(options())) {
            before = store.entries();
            CompactionResult r = store.compact();
            // Seed frames become version-2 frames, 16 bytes longer each: a small log may grow.
            assertThat(r.bytesAfter()).isEqualTo(store.status().liveBytes()).isEqualTo(Files.size(log()));
            assertThat(store.entries()).isEqualTo(before);
        }
        try (WalKeyValueStore reopened = open(options())) {
            assertThat(reopened.entries()).isEqualTo(before).isNotEmpty();
        }
    }

    @Test
    void aLeftoverFromACrashedCompactionIsDeletedAtStart() throws IOException {
        try (WalKeyValueStore store = open(options())) {
            store.put("a", Value.of(1L), NONE);
        }
        Files.write(compacting(), new byte[] {1, 2, 3});
        try (WalKeyValueStore reopened = open(options())) {
            assertThat(reopened.get("a").value()).isEqualTo(Value.of(1L));
        }
        assertThat(compacting()).doesNotExist();
    }

    /** The value of an entry read from the store, or {@code null} when the key had none. */
    private static Value valueOf(Entry e) {
        return e == null ? null : e.value();
    }
}
