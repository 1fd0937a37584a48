package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A power cut at every disk operation of a compaction, and of a snapshot restore, on the {@link SimulatedDisk}: each
 * file write, force, rename and directory force in turn is the one the power cut meets, and each is replayed under
 * several fates of what the disk kept of the unforced bytes and names. After the reboot the store must recover
 * exactly the acknowledged state: every acknowledged write, no resurrected delete, nothing else (the one write in
 * flight at the cut may or may not be there), and no compaction file left behind.
 */
class CompactionCrashTest {

    private static final Path DIR = Path.of("/sim/data");
    private static final Path LOG = DIR.resolve(StoreOptions.LOG_FILE_NAME);
    private static final int FATES = 6;
    private static final StoreOptions OPTIONS = StoreOptions.defaults(DIR)
            .withCompaction(new CompactionPolicy(false, 0, 2.0)).withLimits(64, 2 * SimulatedDisk.PAGE);

    /** What the writes left: the acknowledged state, and the one write that failed at the cut, if any. */
    private static final class History {
        final Map<String, Value> acknowledged = new HashMap<>();
        String inFlightKey;
        Value inFlightValue;
        boolean failed;

        /** Writes {@code value} (a delete when null); returns false once the power is gone. */
        boolean write(WalKeyValueStore store, String key, Value value) {
            if (failed) {
                return false;
            }
            try {
                if (value == null) {
                    store.delete(key, NONE);
                    acknowledged.remove(key);
                } else {
                    store.put(key, value, NONE);
                    acknowledged.put(key, value);
                }
                return true;
            } catch (StoreUnavailableException e) {
                failed = true;
                inFlightKey = key;
                inFlightValue = value;
                return false;
            }
        }
    }

    /** Sets and deletes over 20 keys, with values up to 1.5 pages, before the compaction. */
    private static void before(WalKeyValueStore store, History h, SplittableRandom r) {
        for (int i = 0; i < 120; i++) {
            String key = "k" + r.nextInt(20);
            Value v = r.nextInt(4) == 0 ? null : switch (r.nextInt(3)) {
                case 0 -> Value.of("v" + i + "x".repeat(r.nextInt(3 * SimulatedDisk.PAGE / 2)));
                case 1 -> Value.of(r.nextLong());
                default -> Value.of(r.nextDouble());
            };
            if (v == null && !h.acknowledged.containsKey(key)) {
                continue;
            }
            h.write(store, key, v);
        }
    }

    private static void after(WalKeyValueStore store, History h) {
        for (int i = 0; i < 5 && h.write(store, "after" + i, Value.of((long) i)); i++) {
            h.write(store, "k" + i, null);
        }
    }

    @Test
    void aPowerCutAtEveryStepOfACompactionRecoversTheAcknowledgedState() throws Exception {
        int cases = 0;
        for (boolean pages : new boolean[] {false, true}) {
            long steps = stepsOfACompaction(pages);
            assertThat(steps).as("disk operations of one compaction").isGreaterThan(8);
            for (long cut = 0; cut <= steps + 2; cut++) {
                for (int fate = 0; fate < FATES; fate++) {
                    runCase(pages, cut, fate);
                    cases++;
                }
            }
        }
        System.out.printf("CompactionCrashTest: %d power cuts inside compactions recovered%n", cases);
    }

    /** Disk operations from the start of a compaction to its end, counted on a disk that keeps its power. */
    private static long stepsOfACompaction(boolean pages) throws IOException {
        SimulatedDisk disk = new SimulatedDisk(1, pages);
        try (WalKeyValueStore store = WalKeyValueStore.open(OPTIONS, disk, Clock.systemUTC())) {
            before(store, new History(), new SplittableRandom(42));
            long start = disk.operations();
            store.compact();
            return disk.operations() - start;
        }
    }

    private static void runCase(boolean pages, long cut, int fate) throws Exception {
        String label = String.format("[%s, cut after %d operations of the compaction, fate %d]",
                pages ? "page writeback" : "per-write fates", cut, fate);
        SimulatedDisk disk = new SimulatedDisk(fate * 31L + cut, pages);
        History h = new History();
        WalKeyValueStore store = WalKeyValueStore.open(OPTIONS, disk, Clock.systemUTC());
        before(store, h, new SplittableRandom(42));
        disk.cutPowerAfter(cut);
        boolean compacted;
        try {
            compacted = store.compact().completed();
        } catch (IOException | StoreUnavailableException e) {
            compacted = false;
        }
        after(store, h);
        disk.cutPower();
        try {
            store.close();
        } catch (IOException expected) {
            // the last force meets the cut
        }
        SimulatedDisk rebooted = disk.reboot(fate);
        try (WalKeyValueStore recovered = WalKeyValueStore.open(OPTIONS, rebooted, Clock.systemUTC())) {
            Map<String, Value> state = recovered.entries();
            Map<String, Value> expected = new HashMap<>(h.acknowledged);
            if (h.inFlightKey != null && !Objects.equals(state.get(h.inFlightKey), expected.get(h.inFlightKey))) {
                assertThat(state.get(h.inFlightKey)).as("%s the write in flight at the cut", label)
                        .isEqualTo(h.inFlightValue);
                if (h.inFlightValue == null) {
                    expected.remove(h.inFlightKey);
                } else {
                    expected.put(h.inFlightKey, h.inFlightValue);
                }
            }
            assertThat(state).as("%s recovered state (compaction %s)", label, compacted ? "completed" : "cut")
                    .isEqualTo(expected);
            assertThat(rebooted.list(DIR)).as(label).doesNotContain((StoreOptions.LOG_FILE_NAME + DataDirectory.COMPACTING_SUFFIX));
            recovered.put("after-recovery", Value.of(1L), NONE);
        }
        try (WalKeyValueStore again = WalKeyValueStore.open(OPTIONS, rebooted.reboot(fate + 100), Clock.systemUTC())) {
            assertThat(again.get("after-recovery").value()).as(label).isEqualTo(Value.of(1L));
            assertThat(again.status().lastRecovery().bytesCut()).as(label).isZero();
        }
    }

    @Test
    void aPowerCutAtEveryStepOfARestoreLeavesNoLogOrTheWholeSnapshot() throws Exception {
        SimulatedDisk source = new SimulatedDisk(7, false);
        Map<String, Value> state;
        byte[] snapshot;
        try (WalKeyValueStore store = WalKeyValueStore.open(OPTIONS, source, Clock.systemUTC())) {
            History h = new History();
            before(store, h, new SplittableRandom(9));
            state = h.acknowledged;
            try (Snapshot s = store.snapshot()) {
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                s.transferTo(out);
                snapshot = out.toByteArray();
            }
        }
        Path file = Path.of("/backup/kv.snapshot");
        StoreOptions restoring = OPTIONS.withRestoreFrom(file);
        for (long cut = 0; cut < 16; cut++) {
            for (int fate = 0; fate < FATES; fate++) {
                SimulatedDisk disk = new SimulatedDisk(cut * 7 + fate, fate % 2 == 0);
                disk.install(file, snapshot);
                disk.cutPowerAfter(cut);
                try {
                    WalKeyValueStore.open(restoring, disk, Clock.systemUTC()).close();
                } catch (IOException powerCut) {
                    assertThat(disk.isPowerCut()).isTrue();
                }
                SimulatedDisk rebooted = disk.reboot(fate);
                try (WalKeyValueStore store = WalKeyValueStore.open(restoring, rebooted, Clock.systemUTC())) {
                    assertThat(store.entries()).as("cut %d, fate %d", cut, fate).isEqualTo(state);
                }
            }
        }
    }
}
