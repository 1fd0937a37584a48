package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Randomized power cuts. Each case runs writers (one, or several at once sharing group commits) that set and
 * delete keys of every type, on a {@link SimulatedDisk}. In some cases compactions run meanwhile, asked for or
 * started on their own. Sometimes a fault hits first: a full disk, an I/O error, or a failing force. Then the power
 * goes at a random operation (inside a compaction too), and sometimes again during the recovery that follows. Each
 * case checks that:
 * <ul>
 *   <li>recovery opens the log: it never refuses a log that only a crash damaged;</li>
 *   <li>without compaction, the recovered log is a byte-prefix of what the store wrote (including a write that
 *       failed and was cut back without a force, which may come back: it was never acknowledged), and it is at least
 *       as long as what was forced, so nothing forced is lost;</li>
 *   <li>no key holds a value that was never written to it;</li>
 *   <li>the index equals an independent replay of the recovered log;</li>
 *   <li>under {@code always}, every acknowledged write is there with its acknowledged value or a later one;</li>
 *   <li>the recovered store takes a new write that survives a clean restart.</li>
 * </ul>
 * The writer's groups hold at most 4 KiB, 16 KiB or the production 1 MiB, so that under {@code always} the bound
 * on what one crash can leave (one write call, recorded in the forced mark) is met by logs of this size, and
 * recovery must never refuse a crash trace because of it.
 * Cases are run with {@code -Dkv.sim.cases=N} (default 2000; CI's soak stage runs 8000 more) from
 * {@code -Dkv.sim.seed=S} (default random); a failing case prints the seed that replays it alone. Cases with
 * several writers, or under {@code interval}, depend on thread timing too, so their replay may interleave
 * differently.
 */
class CrashSimulationTest {

    private static final Path DIR = Path.of("/sim/data");
    private static final Path LOG = DIR.resolve(StoreOptions.LOG_FILE_NAME);
    /** Small limits, so that a group of 4 KiB or 16 KiB is what bounds one write call. */
    private static final StoreOptions BASE = StoreOptions.defaults(DIR).withLimits(64, 2 * SimulatedDisk.PAGE)
            .withBatchLimits(StoreOptions.DEFAULT_MAX_BATCH_OPERATIONS, SimulatedDisk.PAGE);
    private static final int[] GROUP_BYTES = {4096, 16384, GroupCommitWriter.GROUP_BYTES};

    @Test
    void powerCutsAtRandomPointsNeverLoseAcknowledgedWrites() throws Exception {
        int cases = Integer.getInteger("kv.sim.cases", 2000);
        long base = Long.getLong("kv.sim.seed", new SplittableRandom().nextLong());
        System.out.printf("CrashSimulationTest: %d cases from seed %d (-Dkv.sim.seed=%d -Dkv.sim.cases=%d)%n",
                cases, base, base, cases);
        Map<String, Integer> tally = new HashMap<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < cases; i++) {
            long seed = base + i * 0x9E3779B97F4A7C15L;
            SimCase c = new SimCase(seed);
            try {
                tally.merge(c.run(), 1, Integer::sum);
            } catch (Throwable e) {
                throw new AssertionError("simulation case " + c + " failed; replay it with -Dkv.sim.seed=" + seed
                        + " -Dkv.sim.cases=1", e);
            }
        }
        System.out.printf("CrashSimulationTest: %d cases in %d ms: %s%n", cases,
                (System.nanoTime() - t0) / 1_000_000, new java.util.TreeMap<>(tally));
    }

    /** One write a client asked for, and whether it was acknowledged. */
    private record Op(String key, Value value, boolean acknowledged) {
    }

    static final class SimCase {
        private final SplittableRandom rnd;
        private final SyncMode mode;
        private final boolean pages;
        private final int writers;
        private final int opsPerWriter;
        /** Compactions asked for while the writers run; with {@code autoCompaction}, more may start on their own. */
        private final int compactions;
        private final boolean autoCompaction;
        private final int groupBytes;
        /** The highest revision acknowledged to a writer: under ALWAYS, the counter after the crash is at least this. */
        private final java.util.concurrent.atomic.AtomicLong maxAcknowledgedRevision =
                new java.util.concurrent.atomic.AtomicLong();

        SimCase(long seed) {
            rnd = new SplittableRandom(seed);
            int m = rnd.nextInt(10);
            mode = m < 6 ? SyncMode.ALWAYS : m < 8 ? SyncMode.INTERVAL : SyncMode.NONE;
            pages = rnd.nextBoolean();
            writers = rnd.nextInt(3) == 0 ? 2 + rnd.nextInt(6) : 1;
            opsPerWriter = 1 + rnd.nextInt(writers == 1 ? 120 : 40);
            int c = rnd.nextInt(6);
            compactions = c < 2 ? 1 + rnd.nextInt(3) : 0;
            autoCompaction = c == 2;
            groupBytes = GROUP_BYTES[rnd.nextInt(GROUP_BYTES.length)];
        }

        private boolean compacts() {
            return compactions > 0 || autoCompaction;
        }

        @Override
        public String toString() {
            return String.format("[%s, %s, %d writer(s) x %d ops, %d compaction(s)%s, groups of %d bytes]", mode,
                    pages ? "page writeback" : "per-write fates", writers, opsPerWriter, compactions,
                    autoCompaction ? ", automatic compaction" : "", groupBytes);
        }

        /** Runs the case; returns a label of what happened, for the tally. */
        String run() throws Exception {
            SimulatedDisk disk = new SimulatedDisk(rnd.nextLong(), pages);
            FaultInjectingStorage faults = new FaultInjectingStorage(disk);
            StoreOptions options = BASE.withSync(mode, Duration.ofMillis(1 + rnd.nextInt(5)))
                    .withCompaction(new CompactionPolicy(autoCompaction, 4 * SimulatedDisk.PAGE, 1.5));
            long expectedOps = 4 + (long) writers * opsPerWriter * 2 + compactions * 16L + (autoCompaction ? 32 : 0);
            boolean cutEarly = rnd.nextInt(4) != 0;
            if (cutEarly) {
                disk.cutPowerAfter(rnd.nextLong(expectedOps + 1));
            }
            int faultAt = rnd.nextInt(8) == 0 ? rnd.nextInt(writers * opsPerWriter) : -1;

            List<List<Op>> histories = new ArrayList<>();
            WalKeyValueStore store = null;
            try {
                store = WalKeyValueStore.open(options, faults, Clock.systemUTC(), groupBytes);
            } catch (IOException powerCutDuringOpen) {
                assertThat(disk.isPowerCut()).as("open failed without a power cut").isTrue();
            }
            if (store != null) {
                histories = write(store, faults, faultAt);
                disk.cutPower();
                closeQuietly(store);
            }
            byte[] written = disk.everWritten(LOG);
            int forced = disk.forcedSize(LOG);

            SimulatedDisk after = disk.reboot(rnd.nextLong());
            boolean cutDuringRecovery = rnd.nextInt(5) == 0;
            if (cutDuringRecovery) {
                after.cutPowerAfter(rnd.nextLong(12));
                try {
                    WalKeyValueStore.open(options, after, Clock.systemUTC(), groupBytes).close();
                } catch (IOException e) {
                    assertThat(e).as("recovery refused a crash-only log").isNotInstanceOf(LogException.class);
                }
                after = after.reboot(rnd.nextLong());
            }
            try (WalKeyValueStore recovered = WalKeyValueStore.open(options, after, Clock.systemUTC(), groupBytes)) {
                byte[] log = after.contents(LOG);
                check(recovered, log == null ? new byte[0] : log, written, forced, histories);
                recovered.put("after-crash", Value.of(1L), NONE);
            }
            SimulatedDisk clean = after.reboot(rnd.nextLong());
            try (WalKeyValueStore again = WalKeyValueStore.open(options, clean, Clock.systemUTC(), groupBytes)) {
                assertThat(again.get("after-crash").value()).isEqualTo(Value.of(1L));
                assertThat(again.status().lastRecovery().bytesCut()).isZero();
            }
            return mode + (pages ? "/pages" : "/writes") + (writers > 1 ? "/concurrent" : "/single")
                    + (compacts() ? "/compaction" : "") + (faultAt >= 0 ? "/fault" : "")
                    + (cutDuringRecovery ? "/recovery-cut" : "");
        }

        private List<List<Op>> write(WalKeyValueStore store, FaultInjectingStorage faults, int faultAt)
                throws InterruptedException {
            List<List<Op>> histories = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            AtomicInteger issued = new AtomicInteger();
            for (int w = 0; w < writers; w++) {
                List<Op> history = new ArrayList<>();
                histories.add(history);
                SplittableRandom r = rnd.split();
                int id = w;
                threads.add(new Thread(() -> {
                    for (int i = 0; i < opsPerWriter; i++) {
                        if (issued.getAndIncrement() == faultAt) {
                            injectFault(faults, r);
                        }
                        if (r.nextInt(4) == 0) {
                            if (!writePair(store, history, id, i, r)) {
                                return;
                            }
                            continue;
                        }
                        String key = "w" + id + "/k" + r.nextInt(5);
                        Value value = r.nextInt(5) == 0 ? null : randomValue(r);
                        try {
                            WriteResult result = value == null ? store.delete(key, Precondition.NONE)
                                    : store.put(key, value, Precondition.NONE);
                            history.add(new Op(key, value, true));
                            maxAcknowledgedRevision.accumulateAndGet(result.revision(), Math::max);
                        } catch (StoreUnavailableException e) {
                            history.add(new Op(key, value, false));
                            return;
                        }
                    }
                }));
            }
            if (compactions > 0) {
                int delay = rnd.nextInt(3);
                threads.add(new Thread(() -> {
                    for (int i = 0; i < compactions; i++) {
                        try {
                            Thread.sleep(delay);
                            store.compact();
                        } catch (IOException | RuntimeException | InterruptedException e) {
                            // a power cut, a fault, or the store read-only after one: the checks follow
                        }
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            return histories;
        }

        /**
         * A batch that sets (or deletes) the writer's pair of keys together, sometimes with a precondition that
         * holds; returns false once the store refuses writes.
         */
        private boolean writePair(WalKeyValueStore store, List<Op> history, int id, int i, SplittableRandom r) {
            String x = "w" + id + "/pair-x";
            String y = "w" + id + "/pair-y";
            Value value = r.nextInt(4) == 0 ? null : Value.of(id * 1_000_000L + i);
            Precondition onX = r.nextBoolean() ? Precondition.NONE : Precondition.ifRevision(
                    store.get(x) == null ? 1 : store.get(x).revision());
            List<BatchOperation> ops = value == null
                    ? List.of(BatchOperation.delete(x, null), BatchOperation.delete(y, null))
                    : List.of(BatchOperation.set(x, value, onX), BatchOperation.set(y, value, null));
            try {
                BatchResult result = store.batch(ops);
                if (result.applied()) {
                    history.add(new Op(x, value, true));
                    history.add(new Op(y, value, true));
                    maxAcknowledgedRevision.accumulateAndGet(result.revision(), Math::max);
                }
                return true;
            } catch (StoreUnavailableException e) {
                history.add(new Op(x, value, false));
                history.add(new Op(y, value, false));
                return false;
            }
        }

        private static void injectFault(FaultInjectingStorage faults, SplittableRandom r) {
            switch (r.nextInt(3)) {
                case 0 -> {
                    faults.bytesBeforeWriteFailure = r.nextInt(64);
                    faults.failWrites("No space left on device");
                }
                case 1 -> faults.failWrites("Input/output error");
                default -> faults.failForces("Input/output error");
            }
            if (r.nextBoolean()) {
                faults.failTruncate = new IOException("truncate failed too");
            }
        }

        private static Value randomValue(SplittableRandom r) {
            return switch (r.nextInt(7)) {
                case 0 -> Value.of("");
                case 1 -> Value.of("välue ✓ " + r.nextInt());
                case 2 -> Value.of("x".repeat(r.nextInt(3 * SimulatedDisk.PAGE / 2)));
                case 3 -> Value.of(r.nextLong());
                case 4 -> Value.of(r.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE);
                case 5 -> Value.of(r.nextBoolean() ? -0.0 : Double.MIN_VALUE);
                default -> Value.of(r.nextDouble() * 1e300);
            };
        }

        private void check(WalKeyValueStore recovered, byte[] log, byte[] written, int forced,
                           List<List<Op>> histories) {
            if (!compacts()) {
                byte[] wrote = written == null ? new byte[0] : written;
                assertThat(log.length).as("recovered log length vs what the store wrote")
                        .isLessThanOrEqualTo(wrote.length);
                assertThat(log).as("the recovered log is a prefix of what the store wrote")
                        .isEqualTo(java.util.Arrays.copyOf(wrote, log.length));
                assertThat(log.length).as("forced frames survive").isGreaterThanOrEqualTo(wholeFramesIn(wrote, forced));
            }
            assertThat(recovered.entries()).as("index vs an independent replay").isEqualTo(replay(log));
            checkNothingInvented(recovered.entries(), histories);
            checkPairsWhole(recovered.entries());
            for (int w = 0; w < writers; w++) {
                for (String k : new String[] {"/pair-x", "/pair-y", "/k0", "/k1", "/k2", "/k3", "/k4"}) {
                    Entry e = recovered.get("w" + w + k);
                    if (e != null) {
                        assertThat(e.revision()).as("revision of w%d%s", w, k).isBetween(e.createRevision(),
                                recovered.revision());
                    }
                }
            }
            if (mode == SyncMode.ALWAYS) {
                assertThat(recovered.revision()).as("the counter after the crash")
                        .isGreaterThanOrEqualTo(maxAcknowledgedRevision.get());
                for (List<Op> history : histories) {
                    checkAcknowledged(recovered, history);
                }
            }
        }

        /**
         * The end of the last whole frame within the first {@code forced} bytes of what was written. Forced bytes
         * can end inside a frame only when a write failed part way and the interval timer forced the file before the
         * writer cut the part back (or could not): those bytes belong to a write that was never acknowledged.
         */
        private static int wholeFramesIn(byte[] written, int forced) {
            LogFormat format = BASE.format();
            int pos = 0;
            while (pos + Frame.OVERHEAD <= forced) {
                long length = Frame.LENGTH_FIELD_BYTES + Frame.totalLength(written, pos);
                if (pos + length > forced || Frame.checkBody(written, pos, format) != null) {
                    break;
                }
                pos += (int) length;
            }
            return pos;
        }

        /** A batch is all there or not at all: each writer's pair holds one value, or neither key is there. */
        private void checkPairsWhole(Map<String, Value> recovered) {
            for (int w = 0; w < writers; w++) {
                assertThat(recovered.get("w" + w + "/pair-y")).as("pair of writer %d", w)
                        .isEqualTo(recovered.get("w" + w + "/pair-x"));
            }
        }

        /** Every recovered value was written to its key by some write, acknowledged or not. */
        private static void checkNothingInvented(Map<String, Value> recovered, List<List<Op>> histories) {
            Map<String, java.util.Set<Value>> written = new HashMap<>();
            for (List<Op> history : histories) {
                for (Op op : history) {
                    if (op.value() != null) {
                        written.computeIfAbsent(op.key(), k -> new java.util.HashSet<>()).add(op.value());
                    }
                }
            }
            recovered.forEach((key, value) -> assertThat(written.getOrDefault(key, java.util.Set.of()))
                    .as("values written to %s", key).contains(value));
        }

        /** The key's recovered value is that of its last acknowledged write, or of a later unacknowledged one. */
        private static void checkAcknowledged(WalKeyValueStore recovered, List<Op> history) {
            Map<String, Integer> lastAcked = new HashMap<>();
            for (int i = 0; i < history.size(); i++) {
                if (history.get(i).acknowledged()) {
                    lastAcked.put(history.get(i).key(), i);
                }
            }
            lastAcked.forEach((key, at) -> {
                List<Value> allowed = new ArrayList<>();
                allowed.add(history.get(at).value());
                for (int i = at + 1; i < history.size(); i++) {
                    if (history.get(i).key().equals(key)) {
                        allowed.add(history.get(i).value());
                    }
                }
                assertThat(allowed).as("value of %s after the crash", key).contains(valueOf(recovered.get(key)));
            });
        }

        private static Map<String, Value> replay(byte[] log) {
            return LogReplay.replay(log, BASE.format());
        }

        private static void closeQuietly(WalKeyValueStore store) {
            try {
                store.close();
            } catch (IOException expectedAfterPowerCut) {
                // the final force meets the cut power
            }
        }
    }

    /** The value of an entry read from the store, or {@code null} when the key had none. */
    private static Value valueOf(Entry e) {
        return e == null ? null : e.value();
    }
}
