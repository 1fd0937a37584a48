package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots taken while writers run, and restores from them: a snapshot holds every write acknowledged before it was
 * asked for, replays to the exact state the log had at one moment, and restores to that state.
 */
class SnapshotTest {

    @TempDir
    Path dir;

    private StoreOptions options(Path dataDir) {
        return StoreOptions.defaults(dataDir).withCompaction(new CompactionPolicy(false, 0, 2.0));
    }

    private static byte[] bytesOf(Snapshot s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        s.transferTo(out);
        return out.toByteArray();
    }

    /**
     * Whether replaying {@code log} passes through exactly {@code target} at some frame boundary: keeps count of the
     * keys whose value differs from the target, frame by frame.
     */
    private static boolean passesThrough(byte[] log, Map<String, Value> target, LogFormat format) {
        Map<String, Value> state = new HashMap<>();
        int differing = target.size();
        for (int pos = 0; ; ) {
            if (differing == 0) {
                return true;
            }
            if (pos >= log.length) {
                return false;
            }
            for (LogReplay.Change c : LogReplay.changes(Frame.decode(log, pos))) {
                boolean before = Objects.equals(state.get(c.key()), target.get(c.key()));
                LogReplay.apply(state, c);
                boolean after = Objects.equals(state.get(c.key()), target.get(c.key()));
                differing += (before ? 1 : 0) - (after ? 1 : 0);
            }
            pos += (int) (Frame.LENGTH_FIELD_BYTES + Frame.totalLength(log, pos));
        }
    }

    @Test
    void aSnapshotTakenDuringWritesIsTheLogsStateAtOneMomentAfterTheRequest() throws Exception {
        Path data = dir.resolve("live");
        StoreOptions opts = options(data).withSync(SyncMode.NONE, null);
        AtomicBoolean stop = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong writes = new java.util.concurrent.atomic.AtomicLong();
        Map<String, Value> acknowledged = new ConcurrentHashMap<>();
        byte[] snapshot;
        byte[] digest;
        Map<String, Value> ackedBeforeRequest;
        long logBeforeRequest;
        try (WalKeyValueStore store = WalKeyValueStore.open(opts)) {
            for (int i = 0; i < 2000; i++) {
                store.put("pre/" + i, Value.of("x".repeat(i % 300)), NONE);
                acknowledged.put("pre/" + i, Value.of("x".repeat(i % 300)));
            }
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int id = w;
                writers.add(new Thread(() -> {
                    for (long i = 0; !stop.get(); i++) {
                        String key = "w" + id + "/" + (i % 40);
                        if (i % 7 == 0) {
                            store.delete(key, NONE);
                            acknowledged.remove(key);
                        } else {
                            store.put(key, Value.of(i), NONE);
                            acknowledged.put(key, Value.of(i));
                        }
                        writes.incrementAndGet();
                    }
                }));
            }
            writers.forEach(Thread::start);
            // Under way: the snapshot is asked for while the writers write, with some of their writes already in.
            awaitWrites(writes, 2000);
            ackedBeforeRequest = new HashMap<>(acknowledged);
            logBeforeRequest = store.status().logBytes();
            try (Snapshot s = store.snapshot()) {
                snapshot = bytesOf(s);
                digest = s.sha256();
                assertThat(s.size()).isEqualTo(snapshot.length);
            }
            // And writes after it, so that the log goes on past the snapshot's moment.
            awaitWrites(writes, writes.get() + 2000);
            stop.set(true);
            for (Thread t : writers) {
                t.join();
            }
        }
        assertThat(digest).isEqualTo(MessageDigest.getInstance("SHA-256").digest(snapshot));
        LogFormat format = opts.format();
        Map<String, Value> state = LogReplay.replay(snapshot, format);
        // Every write acknowledged before the request: the pre-loaded keys exactly, the writers' keys as they were or
        // later (each writer only counts up).
        ackedBeforeRequest.forEach((key, value) -> {
            if (key.startsWith("pre/")) {
                assertThat(state.get(key)).as(key).isEqualTo(value);
            }
        });
        for (Map.Entry<String, Value> e : state.entrySet()) {
            if (e.getKey().startsWith("w") && ackedBeforeRequest.get(e.getKey()) instanceof Value.Int before) {
                assertThat(((Value.Int) e.getValue()).value()).as(e.getKey()).isGreaterThanOrEqualTo(before.value());
            }
        }
        // One moment: the log passed through exactly this state at some frame boundary.
        byte[] log = Files.readAllBytes(data.resolve(StoreOptions.LOG_FILE_NAME));
        assertThat((long) log.length).isGreaterThan(logBeforeRequest).isGreaterThan(snapshot.length);
        assertThat(passesThrough(log, state, format)).as("the log passes through the snapshot's state").isTrue();
    }

    /** Waits, with a deadline, until the writers have had {@code count} writes acknowledged. */
    private static void awaitWrites(java.util.concurrent.atomic.AtomicLong writes, long count) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (writes.get() < count) {
            assertThat(System.nanoTime() - deadline).as("writes acknowledged: %d of %d", writes.get(), count)
                    .isNegative();
            Thread.onSpinWait();
        }
    }

    @Test
    void restoringASnapshotIntoAnEmptyDirectoryGivesItsStateAndTheVerifyToolReadsIt() throws IOException {
        Path file = dir.resolve("backup.log");
        Map<String, Value> state;
        try (WalKeyValueStore store = WalKeyValueStore.open(options(dir.resolve("a")))) {
            for (int i = 0; i < 500; i++) {
                store.put("k" + (i % 70), i % 3 == 0 ? Value.of("s" + i) : Value.of((double) i), NONE);
                if (i % 11 == 0) {
                    store.delete("k" + (i % 70), NONE);
                }
            }
            state = store.entries();
            try (Snapshot s = store.snapshot()) {
                Files.write(file, bytesOf(s));
            }
        }
        LogInspector.Report report = new LogInspector((byte) 0xAA, 1024, 4 << 20, 16 << 20).verify(file);
        assertThat(report.diagnosis().kind()).isEqualTo(Diagnosis.Kind.SOUND);
        assertThat(report.liveKeys()).isEqualTo(state.size());

        Path target = dir.resolve("b");
        try (WalKeyValueStore restored = WalKeyValueStore.open(options(target).withRestoreFrom(file))) {
            assertThat(restored.status().lastRecovery().restored()).isTrue();
            assertThat(restored.entries()).isEqualTo(state);
            restored.put("after-restore", Value.of(1L), NONE);
        }
        // Started again with the option still set: the directory holds data now, so it is left alone.
        try (WalKeyValueStore again = WalKeyValueStore.open(options(target).withRestoreFrom(file))) {
            assertThat(again.status().lastRecovery().restored()).isFalse();
            assertThat(again.get("after-restore").value()).isEqualTo(Value.of(1L));
        }

        // Placed by hand as the log of an empty data directory, it starts as it is.
        Path placed = Files.createDirectories(dir.resolve("c"));
        Files.copy(file, placed.resolve(StoreOptions.LOG_FILE_NAME));
        try (WalKeyValueStore store = WalKeyValueStore.open(options(placed))) {
            assertThat(store.entries()).isEqualTo(state);
        }
    }

    @Test
    void aSnapshotCutShortIsRefusedAndNothingIsRestored() throws IOException {
        Path file = dir.resolve("backup.log");
        try (WalKeyValueStore store = WalKeyValueStore.open(options(dir.resolve("a")))) {
            for (int i = 0; i < 50; i++) {
                store.put("k" + i, Value.of("value " + i), NONE);
            }
            try (Snapshot s = store.snapshot()) {
                byte[] whole = bytesOf(s);
                Files.write(file, Arrays.copyOf(whole, whole.length - 3));
            }
        }
        Path target = dir.resolve("b");
        assertThatThrownBy(() -> WalKeyValueStore.open(options(target).withRestoreFrom(file)))
                .isInstanceOfSatisfying(InvalidSnapshotException.class, e -> {
                    assertThat(e.file()).isEqualTo(file);
                    assertThat(e.getMessage()).contains("not a whole snapshot", "nothing was restored");
                });
        assertThat(target.resolve(StoreOptions.LOG_FILE_NAME)).doesNotExist();
        assertThat(target.resolve((StoreOptions.LOG_FILE_NAME + DataDirectory.RESTORING_SUFFIX))).doesNotExist();
    }

    @Test
    void aRestoreNeverOverwritesADirectoryThatHoldsData() throws IOException {
        Path file = dir.resolve("backup.log");
        try (WalKeyValueStore store = WalKeyValueStore.open(options(dir.resolve("a")))) {
            store.put("from-backup", Value.of(1L), NONE);
            try (Snapshot s = store.snapshot()) {
                Files.write(file, bytesOf(s));
            }
        }
        Path target = dir.resolve("b");
        try (WalKeyValueStore store = WalKeyValueStore.open(options(target))) {
            store.put("already-here", Value.of(2L), NONE);
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options(target).withRestoreFrom(file))) {
            assertThat(store.status().lastRecovery().restored()).isFalse();
            assertThat(store.entries()).containsOnlyKeys("already-here");
        }
    }

    @Test
    void aSnapshotOfAnEmptyStoreIsEmptyAndRestoresToAnEmptyStore() throws IOException {
        Path file = dir.resolve("empty.log");
        try (WalKeyValueStore store = WalKeyValueStore.open(options(dir.resolve("a")));
             Snapshot s = store.snapshot()) {
            assertThat(s.size()).isZero();
            Files.write(file, bytesOf(s));
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options(dir.resolve("b")).withRestoreFrom(file))) {
            assertThat(store.status().lastRecovery().restored()).isTrue();
            assertThat(store.size()).isZero();
        }
    }

    @Test
    void aSnapshotLeavesNoFileBehindAndRefusesWithoutRoom() throws IOException {
        FaultInjectingStorage disk = new FaultInjectingStorage();
        try (WalKeyValueStore store = disk.openStore(options(dir))) {
            store.put("k", Value.of("v"), NONE);
            try (Snapshot s = store.snapshot()) {
                assertThat(dir.resolve((StoreOptions.LOG_FILE_NAME + DataDirectory.SNAPSHOT_SUFFIX))).doesNotExist();
                assertThat(bytesOf(s)).hasSize((int) s.size());
            }
            disk.usableSpace = 1024;
            assertThatThrownBy(store::snapshot).isInstanceOf(InsufficientSpaceException.class);
        }
    }
}
