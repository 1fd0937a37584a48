package dev.kvstore.store;

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

    private StoreOptions options() {
        return StoreOptions.defaults(dir).withCompaction(new CompactionPolicy(false, 0, 2.0));
    }

    private WalKeyValueStore open(StoreOptions options) throws IOException {
        return disk.openStore(options);
    }

    private Path log() {
        return dir.resolve(StoreOptions.LOG_FILE_NAME);
    }

    private Path compacting() {
        return dir.resolve(Compactor.COMPACTING_FILE_NAME);
    }

    /** Overwrites and deletes over 50 keys of every type; returns what the store must hold. */
    private static Map<String, Value> churn(WalKeyValueStore store, long seed, int writes) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, Value> model = new HashMap<>();
        for (int i = 0; i < writes; i++) {
            String key = "k" + r.nextInt(50) + (r.nextBoolean() ? "/ü" : "");
            if (r.nextInt(4) == 0) {
                store.delete(key);
                model.remove(key);
            } else {
                Value v = switch (r.nextInt(3)) {
                    case 0 -> Value.of("v" + i + "x".repeat(r.nextInt(200)));
                    case 1 -> Value.of(r.nextLong());
                    default -> Value.of(r.nextDouble());
                };
                store.set(key, v);
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
            assertThat(result.bytesAfter()).isEqualTo(Files.size(log())).isEqualTo(store.liveBytes())
                    .isEqualTo(result.liveBytes()).isLessThan(before / 5);
            assertThat(result.entries()).isEqualTo(model.size());
            assertThat(store.entries()).isEqualTo(model);
            assertThat(store.status().logBytes()).isEqualTo(result.bytesAfter());
            assertThat(store.status().deadRatio()).isZero();
            assertThat(store.compactionStats().completed()).isEqualTo(1);
        }
        assertThat(compacting()).doesNotExist();
        try (WalKeyValueStore reopened = open(options())) {
            assertThat(reopened.entries()).isEqualTo(model);
            // one SET frame per live key, after the REVISION frame
            assertThat(reopened.lastRecovery().framesReplayed()).isEqualTo(model.size() + 1);
            assertThat(reopened.lastRecovery().bytesCut()).isZero();
            assertThat(reopened.liveBytes()).isEqualTo(result.bytesAfter());
        }
    }

    @Test
    void deletedKeysStayDeletedAfterCompactionAndRestart() throws IOException {
        try (WalKeyValueStore store = open(options())) {
            store.set("gone", Value.of("x"));
            store.set("kept", Value.of(1L));
            store.delete("gone");
            store.compact();
            store.set("late", Value.of("y"));
            store.delete("late");
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
            store.set("after", Value.of("compaction"));
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
                store.set("stable/" + i, Value.of((long) i));
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
                            store.delete(key);
                            model.remove(key);
                        } else {
                            store.set(key, Value.of("v" + i));
                            model.put(key, Value.of("v" + i));
                        }
                    }
                }));
            }
            threads.add(new Thread(() -> {
                while (!stop.get()) {
                    stable.forEach((k, v) -> {
                        if (!v.equals(store.get(k))) {
                            failure.compareAndSet(null, new AssertionError(k + " read as " + store.get(k)));
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
            assertThat(store.compactionStats().completed()).isEqualTo(compactions);
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
        StoreOptions auto = options().withCompaction(new CompactionPolicy(true, 64 * 1024, 2.0))
                .withSync(SyncMode.NONE, null);
        try (WalKeyValueStore store = open(auto)) {
            for (int i = 0; i < 10; i++) {
                store.set("big" + i, Value.of("x".repeat(5000)));
            }
            // 50 KB live, under the 64 KiB minimum: overwriting up to 100 KB does not start one.
            for (int i = 0; i < 8; i++) {
                store.set("big" + i, Value.of("y".repeat(5000)));
            }
            assertThat(Files.size(log())).isBetween(64L * 1024, 2 * store.liveBytes());
            Thread.sleep(200);
            assertThat(store.compactionStats().completed()).isZero();
            for (int i = 0; i < 100; i++) {
                store.set("big" + (i % 10), Value.of("z" + i + "x".repeat(5000)));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (store.compactionStats().completed() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            CompactionStats stats = store.compactionStats();
            assertThat(stats.completed()).isGreaterThanOrEqualTo(1);
            assertThat(stats.last().trigger()).isEqualTo(CompactionResult.Trigger.AUTO);
            assertThat(stats.last().bytesBefore()).isGreaterThan(2 * stats.last().liveBytes());
        }
    }

    @Test
    void aLogThatOutgrewTheThresholdsBeforeARestartIsCompactedAtOpen() throws Exception {
        try (WalKeyValueStore store = open(options().withSync(SyncMode.NONE, null))) {
            for (int i = 0; i < 200; i++) {
                store.set("k" + (i % 5), Value.of("x".repeat(1000) + i));
            }
        }
        long before = Files.size(log());
        StoreOptions auto = options().withCompaction(new CompactionPolicy(true, 64 * 1024, 2.0));
        try (WalKeyValueStore store = open(auto)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (store.compactionStats().completed() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(store.compactionStats().completed()).isEqualTo(1);
            assertThat(Files.size(log())).isEqualTo(store.liveBytes()).isLessThan(before / 10);
        }
    }

    @Test
    void refusesWhenTheDiskLacksRoomAndChangesNothing() throws IOException {
        try (WalKeyValueStore store = open(options())) {
            churn(store, 3, 300);
            byte[] before = Files.readAllBytes(log());
            disk.usableSpace = store.liveBytes() + Compactor.HEADROOM_RESERVE - 1;
            assertThatThrownBy(store::compact).isInstanceOfSatisfying(InsufficientSpaceException.class, e -> {
                assertThat(e.usable()).isEqualTo(disk.usableSpace);
                assertThat(e.needed()).isGreaterThan(e.usable());
                assertThat(e.getMessage()).contains("free some space");
            });
            assertThat(Files.readAllBytes(log())).isEqualTo(before);
            assertThat(compacting()).doesNotExist();
            assertThat(store.compactionStats().failed()).isEqualTo(1);
            assertThat(store.compactionStats().last().failure()).contains("needs");
            store.set("still", Value.of("writable"));
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
            store.set("after", Value.of(7L));
            model.put("after", Value.of(7L));
            assertThat(store.compactionStats().last().outcome()).isEqualTo(CompactionResult.Outcome.FAILED);
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
            store.set("after", Value.of(8L));
            model.put("after", Value.of(8L));
        }
        try (WalKeyValueStore reopened = open(options())) {
            assertThat(reopened.entries()).isEqualTo(model);
            assertThat(reopened.lastRecovery().bytesCut()).isZero();
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
            assertThatThrownBy(() -> store.set("refused", Value.of(1L))).isInstanceOf(StoreUnavailableException.class);
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
            assertThat(store.compactionStats().running()).isTrue();
            assertThatThrownBy(store::compact).isInstanceOf(CompactionRunningException.class);
            // Held while copying, before the pause: reads and writes go on.
            store.set("during", Value.of(1L));
            assertThat(store.get("during")).isEqualTo(Value.of(1L));
            disk.releaseForces();
            t.join(10_000);
            assertThat(first.get()).isInstanceOf(CompactionResult.class);
            assertThat(store.compactionStats().running()).isFalse();
            assertThat(store.get("during")).isEqualTo(Value.of(1L));
        }
    }

    @Test
    void refusesWhenTheStoreIsReadOnlyAfterAFailure() throws IOException {
        try (WalKeyValueStore store = open(options())) {
            store.set("a", Value.of(1L));
            // A failed force makes the store read-only; a failed append cut back cleanly would not (WriteFailureTest).
            disk.failForces("Input/output error");
            assertThatThrownBy(() -> store.set("b", Value.of(2L))).isInstanceOf(StoreUnavailableException.class);
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
            assertThat(r.bytesAfter()).isEqualTo(store.liveBytes()).isEqualTo(Files.size(log()));
            assertThat(store.entries()).isEqualTo(before);
        }
        try (WalKeyValueStore reopened = open(options())) {
            assertThat(reopened.entries()).isEqualTo(before).isNotEmpty();
        }
    }

    @Test
    void aLeftoverFromACrashedCompactionIsDeletedAtStart() throws IOException {
        try (WalKeyValueStore store = open(options())) {
            store.set("a", Value.of(1L));
        }
        Files.write(compacting(), new byte[] {1, 2, 3});
        try (WalKeyValueStore reopened = open(options())) {
            assertThat(reopened.get("a")).isEqualTo(Value.of(1L));
        }
        assertThat(compacting()).doesNotExist();
    }
}
