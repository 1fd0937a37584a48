package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kvstore.tool.LogTool;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One replica of the cluster's state: the apply step it runs for every committed command is the single-node store's
 * (same results, revisions and entries for the same commands), deterministic across replicas, never thrown off by
 * bytes that are not a command, and its snapshots are compacted logs that the tool verifies, a single-node store
 * restores from, and another replica loads to the same state. Randomized: the seed is printed, and
 * {@code -Dkv.test.seed=} replays it.
 */
class ReplicaStoreTest {

    @TempDir
    Path dir;

    private static final long SEED = Long.getLong("kv.test.seed", System.nanoTime());

    private static ReplicaStore replica() {
        return ReplicaStore.empty(StoreOptions.defaults(Path.of("unused")));
    }

    /** Commands of every kind over a few keys, so that preconditions hold and fail, numbers overflow, and so on. */
    private static List<Command> commands(Random random, int n) {
        List<Command> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String key = "k" + random.nextInt(8);
            Precondition p = switch (random.nextInt(6)) {
                case 0 -> Precondition.ifRevision(random.nextInt(i + 2));
                case 1 -> Precondition.ifAbsent();
                case 2 -> Precondition.ifExists();
                default -> NONE;
            };
            Value value = switch (random.nextInt(4)) {
                case 0 -> Value.of("v" + i + "✓");
                case 1 -> Value.of(random.nextBoolean() ? Long.MAX_VALUE - random.nextInt(3) : random.nextInt(100));
                case 2 -> Value.of(random.nextDouble() * 10);
                default -> Value.of((long) i);
            };
            out.add(switch (random.nextInt(5)) {
                case 0 -> new Command.Delete(key, p);
                case 1 -> new Command.Increment(key, random.nextBoolean() ? Value.of(1L) : Value.of(0.5), p);
                case 2 -> new Command.Batch(List.of(BatchOperation.set(key, value, p),
                        BatchOperation.delete("k" + (8 + random.nextInt(3)), NONE)));
                default -> new Command.Put(key, value, p);
            });
        }
        return out;
    }

    private static CommandResult execute(WalKeyValueStore store, Command c) {
        if (c instanceof Command.Put p) {
            return store.put(p.key(), p.value(), p.precondition());
        }
        if (c instanceof Command.Delete p) {
            return store.delete(p.key(), p.precondition());
        }
        if (c instanceof Command.Increment p) {
            return store.increment(p.key(), p.step(), p.precondition());
        }
        return store.batch(((Command.Batch) c).operations());
    }

    private static Map<String, Entry> entries(Page page) {
        Map<String, Entry> out = new TreeMap<>();
        page.entries().forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private static Map<String, Entry> all(ReplicaStore r) {
        return entries(r.list("", null, 1_000_000));
    }

    @Test
    void appliesCommandsAsTheSingleNodeStoreDecidesThemAndTheSameOnEveryReplica() throws IOException {
        System.out.println("ReplicaStoreTest seed " + SEED + " (replay with -Dkv.test.seed=" + SEED + ")");
        List<Command> commands = commands(new Random(SEED), 400);
        ReplicaStore a = replica();
        ReplicaStore b = replica();
        // Without change history, whose frames a single node's compaction keeps and a replica has none of.
        try (WalKeyValueStore single = WalKeyValueStore.open(StoreOptions.defaults(dir.resolve("single"))
                .withHistoryRetention(1))) {
            long index = 0;
            for (Command c : commands) {
                index += 1 + (index % 3 == 0 ? 1 : 0); // configuration entries take indexes too
                byte[] bytes = a.encode(c);
                byte[] fromA = a.apply(2, index, bytes);
                byte[] fromB = b.apply(2, index, bytes.clone());
                assertThat(fromB).as("the result of %s on another replica", c).isEqualTo(fromA);
                assertThat(CommandCodec.decodeResult(fromA)).as("%s as the single-node store decides it", c)
                        .isEqualTo(execute(single, c));
            }
            assertThat(a.appliedIndex()).isEqualTo(index);
            assertThat(a.appliedTerm()).isEqualTo(2);
            assertThat(all(a)).isEqualTo(all(b)).isEqualTo(entries(single.list("", null, 1_000_000)));
            assertThat(a.revision()).isEqualTo(b.revision()).isEqualTo(single.revision());
            assertThat(a.size()).isEqualTo(single.size());
            // A single node's compacted log ends its state with a HISTORY frame; a snapshot has none.
            assertThat(a.liveBytes() + Frame.OVERHEAD_V2).isEqualTo(single.status().liveBytes());
        }
    }

    @Test
    void bytesThatAreNoCommandChangeNothingButTheirPositionAndIndexesOnlyGoForward() {
        ReplicaStore r = replica();
        r.apply(1, 1, r.encode(new Command.Put("a", Value.of(1L), NONE)));
        byte[] garbage = "not a command".getBytes(StandardCharsets.UTF_8);
        assertThat(r.apply(1, 2, garbage)).isSameAs(ReplicaStore.MALFORMED);
        assertThat(r.appliedIndex()).isEqualTo(2);
        assertThat(r.revision()).isEqualTo(1);
        assertThat(r.get("a")).isEqualTo(new Entry(Value.of(1L), 1, 1));

        assertThatThrownBy(() -> r.apply(1, 2, r.encode(new Command.Delete("a", NONE))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 applied after 2");
        assertThat(r.get("a")).isNotNull();
    }

    @Test
    void encodingChecksTheLimitsBeforeAnythingIsProposed() {
        ReplicaStore r = ReplicaStore.empty(StoreOptions.defaults(Path.of("unused")).withLimits(4, 8));
        assertThatThrownBy(() -> r.encode(new Command.Put("12345", Value.of("x"), NONE)))
                .isInstanceOf(InvalidEntryException.class).hasMessageContaining("limit is 4");
        assertThatThrownBy(() -> r.encode(new Command.Put("k", Value.of("123456789"), NONE)))
                .isInstanceOf(InvalidEntryException.class).hasMessageContaining("limit is 8");
        assertThatThrownBy(() -> r.validateKey("")).isInstanceOf(InvalidEntryException.class);
        assertThat(CommandCodec.decode(r.encode(new Command.Put("k", Value.of("v"), NONE))))
                .isEqualTo(new Command.Put("k", Value.of("v"), NONE));
    }

    @Test
    void aSnapshotIsACompactedLogThatTheToolVerifiesAStoreRestoresAndAReplicaLoads() throws IOException {
        System.out.println("ReplicaStoreTest seed " + SEED + " (replay with -Dkv.test.seed=" + SEED + ")");
        List<Command> commands = commands(new Random(SEED + 1), 300);
        ReplicaStore a = replica();
        ReplicaStore b = replica();
        long index = 0;
        for (Command c : commands.subList(0, 200)) {
            byte[] bytes = a.encode(c);
            a.apply(3, ++index, bytes);
            b.apply(3, index, bytes);
        }
        // The last key with the highest revision deleted: the counter must still come back whole.
        byte[] last = a.encode(new Command.Batch(List.of(BatchOperation.delete("k0", NONE),
                BatchOperation.delete("k1", NONE), BatchOperation.set("z", Value.of("x"), NONE))));
        a.apply(3, ++index, last);
        b.apply(3, index, last);
        byte[] deleteZ = a.encode(new Command.Delete("z", NONE));
        a.apply(3, ++index, deleteZ);
        b.apply(3, index, deleteZ);

        Path snapA = dir.resolve("a.snapshot");
        Path snapB = dir.resolve("b.snapshot");
        a.writeSnapshot(snapA);
        b.writeSnapshot(snapB);
        assertThat(Files.readAllBytes(snapB)).as("two replicas at one position write the same bytes")
                .isEqualTo(Files.readAllBytes(snapA));
        assertThat(Files.size(snapA)).isEqualTo(a.liveBytes());

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = LogTool.run(new String[] {"verify", snapA.toString()}, new PrintStream(out),
                new PrintStream(new ByteArrayOutputStream()));
        assertThat(status).as("verify: %s", out).isZero();

        try (WalKeyValueStore restored = WalKeyValueStore.open(StoreOptions.defaults(dir.resolve("restored"))
                .withRestoreFrom(snapA))) {
            assertThat(entries(restored.list("", null, 1_000_000))).isEqualTo(all(a));
            assertThat(restored.revision()).isEqualTo(a.revision());
        }

        ReplicaStore c = replica();
        c.apply(1, 1, c.encode(new Command.Put("old", Value.of("state"), NONE)));
        c.loadSnapshot(snapA, 3, index);
        assertThat(all(c)).isEqualTo(all(a));
        assertThat(c.revision()).isEqualTo(a.revision());
        assertThat(c.appliedIndex()).isEqualTo(index);
        for (Command cmd : commands.subList(200, 300)) {
            byte[] bytes = a.encode(cmd);
            index++;
            assertThat(c.apply(4, index, bytes)).as("after the snapshot: %s", cmd).isEqualTo(a.apply(4, index, bytes));
        }
        assertThat(all(c)).isEqualTo(all(a));
    }

    @Test
    void theHistoryWrittenBesideASnapshotKeepsTheFeedAcrossALoadWithinTheRetention() throws IOException {
        System.out.println("ReplicaStoreTest seed " + SEED + " (replay with -Dkv.test.seed=" + SEED + ")");
        for (long retention : new long[] {64L << 20, 6_000}) {
            StoreOptions options = StoreOptions.defaults(Path.of("unused")).withHistoryRetention(retention);
            ReplicaStore a = ReplicaStore.empty(options);
            ReplicaStore b = ReplicaStore.empty(options);
            List<Command> commands = commands(new Random(SEED + 2), 300);
            long[] index = {0};
            java.util.function.Function<Command, byte[]> both = c -> {
                byte[] bytes = a.encode(c);
                index[0]++;
                byte[] answer = a.apply(3, index[0], bytes);
                b.apply(3, index[0], bytes);
                return answer;
            };
            commands.subList(0, 100).forEach(both::apply);
            // A lease with keys attached, then revoked: its end deletes them, which the history must replay.
            long lease = ((LeaseResult) CommandCodec.decodeResult(both.apply(new Command.GrantLease(60_000))))
                    .lease();
            both.apply(new Command.Put("leased/1", Value.of("x"), NONE, KeyLease.of(lease)));
            both.apply(new Command.Put("k1", Value.of("attached"), NONE, KeyLease.of(lease)));
            commands.subList(100, 150).forEach(both::apply);
            both.apply(new Command.RevokeLease(lease, false, null));
            commands.subList(150, 200).forEach(both::apply);

            Path snap = dir.resolve("snapshot-" + retention);
            Path history = dir.resolve("history-" + retention);
            a.writeSnapshot(snap);
            a.writeHistory(history);
            Path other = dir.resolve("snapshot-b-" + retention);
            b.writeSnapshot(other);
            assertThat(Files.readAllBytes(other)).as("the snapshot itself stays the same on every replica")
                    .isEqualTo(Files.readAllBytes(snap));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(LogTool.run(new String[] {"verify", history.toString()}, new PrintStream(out),
                    new PrintStream(new ByteArrayOutputStream()))).as("verify: %s", out).isZero();

            ReplicaStore c = ReplicaStore.empty(options);
            c.apply(1, 1, c.encode(new Command.Put("old", Value.of("state"), NONE)));
            c.loadSnapshot(snap, history, 3, index[0]);
            assertThat(c.feed().compactRevision()).as("retention %d", retention)
                    .isEqualTo(a.feed().compactRevision());
            if (retention < 10_000) {
                assertThat(c.feed().compactRevision()).as("a small retention dropped the oldest").isGreaterThan(50);
            } else {
                assertThat(c.feed().compactRevision()).isEqualTo(1);
            }
            assertThat(c.feed().revision()).isEqualTo(a.revision());
            assertSameFeed(c, a);
            for (Command cmd : commands.subList(200, 300)) {
                byte[] bytes = a.encode(cmd);
                index[0]++;
                assertThat(c.apply(4, index[0], bytes)).isEqualTo(a.apply(4, index[0], bytes));
            }
            assertSameFeed(c, a);
            // Its floor moved on by its own retention since, or is still the one restored with the snapshot.
            assertThat(c.feed().stats().floorCause()).contains(retention < 10_000 ? "kv.history.retention"
                    : "loaded a snapshot at log index 204 (revision");

            // Written again by the replica that loaded it, the history is the same.
            Path again = dir.resolve("history-again-" + retention);
            Path againOf = dir.resolve("history-a-again-" + retention);
            c.writeHistory(again);
            a.writeHistory(againOf);
            assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(againOf));
        }
    }

    @Test
    void aSnapshotWithoutItsHistoryStartsTheFeedAfterItAndSaysWhy() throws IOException {
        ReplicaStore a = replica();
        for (int i = 1; i <= 20; i++) {
            a.apply(1, i, a.encode(new Command.Put("k" + (i % 3), Value.of((long) i), NONE)));
        }
        Path snap = dir.resolve("snap");
        Path history = dir.resolve("history");
        a.writeSnapshot(snap);
        a.writeHistory(history);
        byte[] damaged = Files.readAllBytes(history);
        damaged[damaged.length / 2] ^= 1;
        Path flipped = dir.resolve("flipped");
        Files.write(flipped, damaged);
        Path early = dir.resolve("early");
        ReplicaStore behind = replica();
        for (int i = 1; i <= 10; i++) {
            behind.apply(1, i, behind.encode(new Command.Put("k" + (i % 3), Value.of((long) i), NONE)));
        }
        behind.writeHistory(early);

        for (Path h : new Path[] {null, flipped, early}) {
            ReplicaStore r = replica();
            r.loadSnapshot(snap, h, 1, 20);
            assertThat(all(r)).isEqualTo(all(a));
            assertThat(r.feed().compactRevision()).as("history %s", h).isEqualTo(21);
            String why = h == null ? "without the history" : h == flipped ? "could not be read" : "ends at revision 10";
            assertThatThrownBy(() -> r.feed().read(20, "", 10, Long.MAX_VALUE))
                    .isInstanceOfSatisfying(HistoryCompactedException.class, e -> assertThat(e.floorCause())
                            .contains("loaded a snapshot at log index 20 (revision 20)").contains(why));
            r.apply(1, 21, r.encode(new Command.Put("k", Value.of("after"), NONE)));
            assertThat(r.feed().read(21, "", 10, Long.MAX_VALUE).events()).extracting(ChangeEvent::revision)
                    .containsExactly(21L);
        }
    }

    private static void assertSameFeed(ReplicaStore actual, ReplicaStore expected) {
        long from = actual.feed().compactRevision();
        List<ChangeEvent> got = actual.feed().read(from, "", Integer.MAX_VALUE, Long.MAX_VALUE).events();
        List<ChangeEvent> want = expected.feed().read(from, "", Integer.MAX_VALUE, Long.MAX_VALUE).events();
        assertThat(got).extracting(ChangeEvent::revision)
                .containsExactlyElementsOf(want.stream().map(ChangeEvent::revision).toList());
        for (int i = 0; i < got.size(); i++) {
            assertThat(got.get(i).changes()).as("revision %d", got.get(i).revision())
                    .isEqualTo(want.get(i).changes());
        }
        assertThat(got).isNotEmpty();
    }

    @Test
    void aDamagedOrForeignSnapshotIsRefusedAndChangesNothing() throws IOException {
        ReplicaStore a = replica();
        a.apply(1, 1, a.encode(new Command.Put("a", Value.of("x".repeat(100)), NONE)));
        a.apply(1, 2, a.encode(new Command.Put("b", Value.of(2L), NONE)));
        Path snap = dir.resolve("snap");
        a.writeSnapshot(snap);
        assertThatThrownBy(() -> a.writeSnapshot(snap)).isInstanceOf(IOException.class).hasMessageContaining("exists");

        byte[] bytes = Files.readAllBytes(snap);
        Path cut = dir.resolve("cut");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 3));
        Path flipped = dir.resolve("flipped");
        byte[] f = bytes.clone();
        f[60] ^= 1;
        Files.write(flipped, f);
        ReplicaStore other = ReplicaStore.empty(StoreOptions.defaults(Path.of("unused")).withMagic((byte) 0x55));

        ReplicaStore r = replica();
        r.apply(1, 1, r.encode(new Command.Put("mine", Value.of(1L), NONE)));
        assertThatThrownBy(() -> r.loadSnapshot(cut, 1, 2)).isInstanceOf(InvalidSnapshotException.class);
        assertThatThrownBy(() -> r.loadSnapshot(flipped, 1, 2)).isInstanceOf(InvalidSnapshotException.class);
        assertThatThrownBy(() -> other.loadSnapshot(snap, 1, 2)).isInstanceOf(IncompatibleLogException.class);
        assertThat(all(r)).containsOnlyKeys("mine");
        assertThat(r.appliedIndex()).isEqualTo(1);
    }

    private static final Command.Fingerprint FP = new Command.Fingerprint(1, 2);

    @Test
    void leasesAndIdempotencyRecordsAreStateThatSnapshotsCarryByteForByte() throws IOException {
        ReplicaStore a = replica();
        ReplicaStore b = replica();
        List<byte[]> log = List.of(
                a.encode(new Command.GrantLease(5000)),
                a.encode(new Command.Put("held/1", Value.of("x"), NONE, KeyLease.of(1))),
                a.encode(new Command.Put("held/2", Value.of(2L), NONE, KeyLease.of(1))),
                a.encode(new Command.Put("own", Value.of("y"), NONE, KeyLease.grant(9000))),
                a.encode(new Command.Idempotent("alice", "k-1", FP, 1_000, new Command.Increment("n", Value.of(5L),
                        NONE))),
                a.encode(new Command.Idempotent("alice", "k-2", FP, 2_000, new Command.GrantLease(7000))));
        long index = 0;
        List<byte[]> results = new ArrayList<>();
        for (byte[] c : log) {
            index++;
            results.add(a.apply(2, index, c));
            assertThat(b.apply(2, index, c.clone())).isEqualTo(results.get(results.size() - 1));
        }
        assertThat(a.lease(1).keys()).containsExactly("held/1", "held/2");
        assertThat(a.lease(4).keys()).containsExactly("own");
        assertThat(a.leaseStatus().leases()).isEqualTo(3);
        byte[] repeat = a.encode(new Command.Idempotent("alice", "k-1", FP, 3_000, new Command.Increment("n",
                Value.of(5L), NONE)));
        index++;
        IdempotentResult replayed = (IdempotentResult) CommandCodec.decodeResult(a.apply(2, index, repeat));
        b.apply(2, index, repeat);
        assertThat(replayed.status()).as("the apply step answers a repeat itself").isEqualTo(
                IdempotentResult.Status.REPLAYED);
        assertThat(a.get("n").value()).isEqualTo(Value.of(5L));
        assertThat(a.recorded("alice", "k-1", FP).status()).isEqualTo(IdempotentResult.Status.REPLAYED);
        assertThat(a.recorded("alice", "k-1", new Command.Fingerprint(9, 9)).status())
                .isEqualTo(IdempotentResult.Status.MISMATCH);
        assertThat(a.recorded("bob", "k-1", FP)).isNull();

        Path snapA = dir.resolve("a.snapshot");
        Path snapB = dir.resolve("b.snapshot");
        a.writeSnapshot(snapA);
        b.writeSnapshot(snapB);
        assertThat(Files.readAllBytes(snapB)).isEqualTo(Files.readAllBytes(snapA));
        assertThat(Files.size(snapA)).isEqualTo(a.liveBytes());

        ReplicaStore c = replica();
        c.loadSnapshot(snapA, 2, index);
        assertThat(all(c)).isEqualTo(all(a));
        assertThat(c.lease(1)).isEqualTo(a.lease(1));
        assertThat(c.leaseStatus().leases()).isEqualTo(3);
        assertThat(c.idempotencyStatus(0)).isEqualTo(a.idempotencyStatus(0));
        assertThat(c.recorded("alice", "k-2", FP).result()).isEqualTo(a.recorded("alice", "k-2", FP).result());
        byte[] revoke = a.encode(new Command.RevokeLease(1, false, null));
        index++;
        assertThat(c.apply(3, index, revoke)).isEqualTo(a.apply(3, index, revoke));
        assertThat(all(c)).isEqualTo(all(a)).doesNotContainKeys("held/1", "held/2");

        try (WalKeyValueStore restored = WalKeyValueStore.open(StoreOptions.defaults(dir.resolve("restored"))
                .withRestoreFrom(snapA))) {
            assertThat(restored.lease(1).keys()).containsExactly("held/1", "held/2");
            IdempotentResult again = restored.idempotent("alice", "k-1", FP, new Command.Increment("n",
                    Value.of(5L), NONE));
            assertThat(again.status()).isEqualTo(IdempotentResult.Status.REPLAYED);
            assertThat(restored.get("n").value()).isEqualTo(Value.of(5L));
        }
    }

    @Test
    void anExpiryGuardedByATermChangesNothingWhenLoggedInAnotherTerm() {
        ReplicaStore r = replica();
        r.apply(3, 1, r.encode(new Command.Put("k", Value.of(1L), NONE, KeyLease.grant(1000))));
        byte[] expire = CommandCodec.encode(new Command.RevokeLease(1, true, null));
        byte[] oldTerms = ReplicaStore.guarded(3, expire);
        assertThat(r.apply(4, 2, oldTerms)).as("a deposed leader's expiry, logged by its successor")
                .isEqualTo(ReplicaStore.STALE_TERM);
        assertThat(r.get("k")).isNotNull();
        assertThat(r.appliedIndex()).isEqualTo(2);
        assertThat(r.apply(4, 3, java.util.Arrays.copyOf(oldTerms, 5))).isSameAs(ReplicaStore.MALFORMED);
        LeaseResult expired = (LeaseResult) CommandCodec.decodeResult(r.apply(4, 4, ReplicaStore.guarded(4, expire)));
        assertThat(expired.outcome()).isEqualTo(LeaseOutcome.EXPIRED);
        assertThat(r.get("k")).isNull();
        assertThat(r.lease(1)).isNull();
    }
}
