package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Idempotency records in the engine: the first command with a key is decided and recorded in the same frame, a
 * repeat replays the record and writes nothing, another request under the same key is a mismatch, a repeat while
 * the first is decided is in flight; records are per caller, survive restarts and compactions, and stay within their
 * bounds (oldest first, by time, count and bytes), exactly so after a compaction too. A group of commands is
 * decided exactly as the same commands one at a time, drops of old records included. A power cut never leaves a
 * record without its write or a write without its record.
 */
class IdempotencyTest {

    @TempDir
    Path dir;

    private static final Command.Fingerprint FP = new Command.Fingerprint(1, 2);
    private static final Command.Fingerprint OTHER = new Command.Fingerprint(1, 3);

    /** A wall clock the test moves. */
    private static final class TestClock extends Clock {
        volatile long millis = 1_700_000_000_000L;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    private final TestClock clock = new TestClock();

    private WalKeyValueStore open(IdempotencyOptions limits) throws IOException {
        return WalKeyValueStore.open(StoreOptions.defaults(dir).withIdempotency(limits), LogStorage.files(), clock);
    }

    private WalKeyValueStore open() throws IOException {
        return open(IdempotencyOptions.DEFAULT);
    }

    private static Command.Increment inc(String key) {
        return new Command.Increment(key, Value.of(1L), NONE);
    }

    private static long counter(WalKeyValueStore store, String key) {
        Entry e = store.get(key);
        return e == null ? 0 : ((Value.Int) e.value()).value();
    }

    @Test
    void theFirstIsAppliedARepeatReplaysAndAnotherRequestIsAMismatch() throws IOException {
        Path log = dir.resolve(StoreOptions.LOG_FILE_NAME);
        try (WalKeyValueStore store = open()) {
            IdempotentResult first = store.idempotent("alice", "k-1", FP, inc("n"));
            assertThat(first.status()).isEqualTo(IdempotentResult.Status.APPLIED);
            WriteResult w = (WriteResult) first.result();
            assertThat(w.outcome()).isEqualTo(WriteOutcome.CREATED);
            long size = Files.size(log);
            long revision = store.revision();

            IdempotentResult again = store.idempotent("alice", "k-1", FP, inc("n"));
            assertThat(again.status()).isEqualTo(IdempotentResult.Status.REPLAYED);
            assertThat(again.result()).isEqualTo(w);
            assertThat(store.idempotent("alice", "k-1", OTHER, inc("n")).status())
                    .isEqualTo(IdempotentResult.Status.MISMATCH);
            assertThat(Files.size(log)).as("nothing written").isEqualTo(size);
            assertThat(store.revision()).isEqualTo(revision);
            assertThat(counter(store, "n")).isEqualTo(1);

            IdempotentResult bob = store.idempotent("bob", "k-1", OTHER, inc("n"));
            assertThat(bob.status()).as("another caller's key").isEqualTo(IdempotentResult.Status.APPLIED);
            assertThat(counter(store, "n")).isEqualTo(2);
            assertThat(store.idempotencyStatus().replays()).isEqualTo(1);
            assertThat(store.idempotencyStatus().keys()).isEqualTo(2);
        }
        try (WalKeyValueStore store = open()) {
            assertThat(store.idempotent("alice", "k-1", FP, inc("n")).status())
                    .as("after a restart").isEqualTo(IdempotentResult.Status.REPLAYED);
            store.compact();
        }
        try (WalKeyValueStore store = open()) {
            assertThat(store.idempotent("alice", "k-1", FP, inc("n")).status())
                    .as("after a compaction and a restart").isEqualTo(IdempotentResult.Status.REPLAYED);
            assertThat(counter(store, "n")).isEqualTo(2);
        }
    }

    /** The record and the write it answers are one frame, so a crash keeps both or neither. */
    @Test
    void theRecordIsInTheFrameOfItsWrite() throws IOException {
        Path log = dir.resolve(StoreOptions.LOG_FILE_NAME);
        try (WalKeyValueStore store = open()) {
            store.put("s", Value.of("x".repeat(1000)), NONE);
            store.idempotent("alice", "put-1", FP, new Command.Put("s", Value.of("y".repeat(1000)), NONE));
            store.idempotent("alice", "refused", FP, new Command.Put("s", Value.of(1L), Precondition.ifAbsent()));
        }
        List<LogInspector.FrameInfo> frames = new ArrayList<>();
        new LogInspector(StoreOptions.DEFAULT_MAGIC, 1024, 4 << 20, 16 << 20).dump(log, frames::add);
        LogInspector.FrameInfo set = frames.get(frames.size() - 3);
        LogInspector.FrameInfo record = frames.get(frames.size() - 2);
        assertThat(set.op()).isEqualTo("batch-set");
        assertThat(record.op()).isEqualTo("idempotency-record");
        assertThat(record.offset()).isEqualTo(set.offset());
        assertThat(record.revision()).isEqualTo(set.revision());
        // The record keeps the answer without the value: its frame is the SET's plus about a hundred bytes.
        assertThat(set.length()).isLessThan(1000 + 36 + 18 + 1 + 200);
        LogInspector.FrameInfo refused = frames.get(frames.size() - 1);
        assertThat(refused.op()).as("a refusal is remembered in a frame of its own").isEqualTo("idempotency-record");
        assertThat(refused.revision()).isEqualTo(record.revision() + 1);
        assertThat(refused.details()).containsEntry("scope", "alice");
    }

    @Test
    void aRepeatWhileTheFirstIsDecidedIsInFlight() throws Exception {
        FaultInjectingStorage disk = new FaultInjectingStorage();
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir), disk, clock)) {
            store.put("warm", Value.of(1L), NONE);
            disk.holdForces();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<IdempotentResult> first = pool.submit(() -> store.idempotent("alice", "k", FP, inc("n")));
                assertThat(disk.forceEntered.await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(store.idempotent("alice", "k", FP, inc("n")).status())
                        .isEqualTo(IdempotentResult.Status.IN_FLIGHT);
                assertThat(store.idempotent("alice", "k", OTHER, inc("n")).status())
                        .isEqualTo(IdempotentResult.Status.MISMATCH);
                disk.releaseForces();
                assertThat(first.get(10, TimeUnit.SECONDS).status()).isEqualTo(IdempotentResult.Status.APPLIED);
            } finally {
                disk.releaseForces();
                pool.shutdownNow();
            }
            assertThat(store.idempotent("alice", "k", FP, inc("n")).status())
                    .isEqualTo(IdempotentResult.Status.REPLAYED);
            assertThat(counter(store, "n")).isEqualTo(1);
        }
    }

    @Test
    void recordsStayWithinTheirBoundsOldestFirst() throws IOException {
        IdempotencyOptions limits = new IdempotencyOptions(Duration.ofHours(1), 5, 1 << 20);
        try (WalKeyValueStore store = open(limits)) {
            for (int i = 0; i < 8; i++) {
                store.idempotent("a", "k" + i, FP, inc("n"));
            }
            assertThat(store.idempotencyStatus().keys()).isEqualTo(5);
            assertThat(store.idempotent("a", "k0", FP, inc("n")).status()).as("dropped: applied again")
                    .isEqualTo(IdempotentResult.Status.APPLIED);
            assertThat(store.idempotent("a", "k7", FP, inc("n")).status()).isEqualTo(IdempotentResult.Status.REPLAYED);
            assertThat(counter(store, "n")).isEqualTo(9);
            // Time: a record an hour behind the newest one goes.
            clock.millis += Duration.ofMinutes(59).toMillis();
            store.idempotent("a", "late", FP, inc("n"));
            assertThat(store.idempotencyStatus().keys()).isEqualTo(5);
            clock.millis += Duration.ofMinutes(1).toMillis();
            store.idempotent("a", "later", FP, inc("n"));
            assertThat(store.idempotencyStatus().keys()).as("all but the last two are an hour old").isEqualTo(2);
            long bytes = store.idempotencyStatus().bytes();
            assertThat(bytes).isPositive().isLessThan(400);
        }
        IdempotencyOptions small = new IdempotencyOptions(Duration.ofHours(1), 1000, 500);
        try (WalKeyValueStore store = open(small)) {
            assertThat(store.idempotencyStatus().keys()).as("fewer bytes allowed after a restart").isEqualTo(2);
            for (int i = 0; i < 20; i++) {
                store.idempotent("a", "b" + i, FP, inc("n"));
                assertThat(store.idempotencyStatus().bytes()).isLessThanOrEqualTo(500);
            }
        }
    }

    /** Records dropped and kept while a compaction copies them: the compacted log replays to the same records. */
    @Test
    void aCompactedLogKeepsExactlyTheRecordsTheLogDid() throws Exception {
        IdempotencyOptions limits = new IdempotencyOptions(Duration.ofMinutes(10), 40, 1 << 20);
        IdempotencyRecords.Copy live;
        try (WalKeyValueStore store = open(limits)) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int id = w;
                writers.add(pool.submit(() -> {
                    for (int i = 0; i < 400; i++) {
                        store.idempotent("w" + id, "k" + i, FP, inc("n" + id));
                        clock.millis += 1000;
                    }
                    return null;
                }));
            }
            for (int i = 0; i < 5; i++) {
                store.compact();
            }
            for (Future<?> f : writers) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            live = store.state().records.copy();
            assertThat(live.records()).isNotEmpty();
            assertThat(live.floor()).isPositive();
        }
        try (WalKeyValueStore store = open(limits)) {
            assertThat(store.state().records.copy()).isEqualTo(live);
            store.compact();
            assertThat(store.state().records.copy()).isEqualTo(live);
        }
        try (WalKeyValueStore store = open(limits)) {
            assertThat(store.state().records.copy()).isEqualTo(live);
        }
    }

    /**
     * The writer decides a group of commands against the state plus the group's earlier decisions, which are not
     * applied yet: it must decide exactly as one command at a time would, records dropped by earlier commands of the
     * group, leases granted and ended in it included. Random commands, with small bounds so that records drop.
     */
    @Test
    void aGroupIsDecidedExactlyAsOneCommandAtATime() throws IOException {
        long seed = Long.getLong("kv.test.seed", System.nanoTime());
        System.out.println("IdempotencyTest seed=" + seed + " (replay: -Dkv.test.seed=" + seed + ")");
        SplittableRandom r = new SplittableRandom(seed);
        IdempotencyOptions limits = new IdempotencyOptions(Duration.ofSeconds(30), 6, 900);
        for (int round = 0; round < 60; round++) {
            AppliedState grouped = emptyState(limits);
            AppliedState single = emptyState(limits);
            Sequencer inGroups = new Sequencer(new StateMachine(StoreOptions.DEFAULT_MAGIC), grouped,
                    new History(StoreOptions.defaultHistoryRetention()), () -> -1);
            Sequencer oneByOne = new Sequencer(new StateMachine(StoreOptions.DEFAULT_MAGIC), single,
                    new History(StoreOptions.defaultHistoryRetention()), () -> -1);
            long time = 1_700_000_000_000L;
            for (int g = 0; g < 20; g++) {
                List<GroupCommitWriter.Pending> group = new ArrayList<>();
                int size = 1 + r.nextInt(12);
                for (int i = 0; i < size; i++) {
                    time += r.nextInt(8000);
                    Command c = randomCommand(r, time, grouped.revision() + group.size() + 1);
                    GroupCommitWriter.Pending p = new GroupCommitWriter.Pending(c, 0);
                    inGroups.decide(p);
                    group.add(p);
                    GroupCommitWriter.Pending alone = new GroupCommitWriter.Pending(c, 0);
                    oneByOne.decide(alone);
                    assertThat(Decided.of(p.decision)).as("seed %d, round %d: %s", seed, round, c)
                            .isEqualTo(Decided.of(alone.decision));
                    oneByOne.publish(alone.decision.writes() ? List.of(alone) : List.of());
                }
                inGroups.publish(group.stream().filter(p -> p.decision.writes()).toList());
                assertThat(grouped.records.copy()).isEqualTo(single.records.copy());
                assertThat(grouped.leases.leases()).isEqualTo(single.leases.leases());
            }
        }
    }

    private static AppliedState emptyState(IdempotencyOptions limits) {
        StateBuilder b = new StateBuilder(limits);
        return new AppliedState(new KeyIndex(b.keys), b.leases, b.records);
    }

    private static Command randomCommand(SplittableRandom r, long time, long nextRevision) {
        String key = "k" + r.nextInt(6);
        Command inner = switch (r.nextInt(7)) {
            case 0 -> new Command.GrantLease(1000);
            case 1 -> new Command.RevokeLease(1 + r.nextLong(Math.max(1, nextRevision)), r.nextBoolean(), null);
            case 2 -> new Command.Put(key, Value.of("v" + r.nextInt(100)), NONE,
                    KeyLease.of(1 + r.nextLong(Math.max(1, nextRevision))));
            case 3 -> new Command.Delete(key, NONE);
            case 4 -> new Command.Batch(List.of(BatchOperation.set(key, Value.of(1L), Precondition.ifExists()),
                    BatchOperation.delete(key + "x", NONE)));
            default -> new Command.Increment(key, Value.of(1L), NONE);
        };
        if (r.nextInt(3) == 0) {
            return inner;
        }
        return new Command.Idempotent("s" + r.nextInt(2), "i" + r.nextInt(10),
                r.nextInt(5) == 0 ? OTHER : FP, time, inner);
    }

    /** A decision as comparable values. */
    private record Decided(CommandResult result, long revision, List<Change> changes, List<Byte> frame,
                           Decision.Grant granted, long ended, IdempotencyRecord record) {
        static Decided of(Decision d) {
            List<Byte> frame = null;
            if (d.frame() != null) {
                frame = new ArrayList<>();
                for (byte b : d.frame()) {
                    frame.add(b);
                }
            }
            return new Decided(d.result(), d.revision(), d.changes(), frame, d.granted(), d.ended(), d.record());
        }
    }

    /**
     * Power cuts at random moments among idempotent increments, under sync modes that can lose what was not forced:
     * after recovery, each key's counter is exactly the number of its records. A record never outlives its write,
     * nor a write its record.
     */
    @Test
    void aPowerCutKeepsARecordAndItsWriteTogether() throws Exception {
        long base = Long.getLong("kv.test.seed", System.nanoTime());
        System.out.println("IdempotencyTest power cuts from seed " + base);
        Path simDir = Path.of("/sim/data");
        for (int c = 0; c < 150; c++) {
            long seed = base + c * 0x9E3779B97F4A7C15L;
            SplittableRandom r = new SplittableRandom(seed);
            SimulatedDisk disk = new SimulatedDisk(r.nextLong(), r.nextBoolean());
            SyncMode mode = r.nextBoolean() ? SyncMode.NONE : SyncMode.INTERVAL;
            StoreOptions options = StoreOptions.defaults(simDir).withSync(mode, Duration.ofMillis(1 + r.nextInt(3)));
            disk.cutPowerAfter(8 + r.nextLong(120));
            try (WalKeyValueStore store = WalKeyValueStore.open(options, disk, clock)) {
                for (int i = 0; i < 60; i++) {
                    store.idempotent("w", "k" + i, FP, inc("n" + (i % 3)));
                }
            } catch (IOException | StoreUnavailableException powerCut) {
                // the power went: what survives is checked below
            }
            disk.cutPower();
            try (WalKeyValueStore store = WalKeyValueStore.open(options, disk.reboot(r.nextLong()), clock)) {
                long records = store.idempotencyStatus().keys();
                long applied = counter(store, "n0") + counter(store, "n1") + counter(store, "n2");
                assertThat(applied).as("case %d (seed %d)", c, seed).isEqualTo(records);
                for (IdempotencyRecord rec : store.state().records.copy().records()) {
                    int i = Integer.parseInt(rec.key().substring(1));
                    assertThat(counter(store, "n" + (i % 3))).isPositive();
                }
            }
        }
    }
}
