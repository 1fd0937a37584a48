package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The apply step on its own: deciding a command is a pure function of the state and the command. The same command
 * against the same state gives the same result, revision, changes and frame bytes: decided twice, decided against
 * an independent copy of the state, decided again after a restart that rebuilt the state from the log; and the
 * frame the store then writes is the one decided.
 */
class StateMachineTest {

    @TempDir
    Path dir;

    private static final byte MAGIC = StoreOptions.DEFAULT_MAGIC;

    /** A fixed clock: the idempotency records' times are then those of the probes. */
    private static final java.time.Clock CLOCK = java.time.Clock.fixed(java.time.Instant.ofEpochMilli(1_700_000_000_000L),
            java.time.ZoneOffset.UTC);
    private static final Command.Fingerprint FP = new Command.Fingerprint(7, 9);
    private static final Command.Fingerprint OTHER = new Command.Fingerprint(7, 10);

    private WalKeyValueStore open() throws IOException {
        return WalKeyValueStore.open(StoreOptions.defaults(dir), LogStorage.files(), CLOCK);
    }

    private Path log() {
        return dir.resolve(StoreOptions.LOG_FILE_NAME);
    }

    /** A state of every kind: integers, floats, strings, a deleted key, a batch. */
    private static void fill(WalKeyValueStore store) {
        store.put("int", Value.of(41L), NONE);
        store.put("float", Value.of(1.5), NONE);
        store.put("text", Value.of("välue ✓"), NONE);
        store.put("max", Value.of(Long.MAX_VALUE), NONE);
        store.put("gone", Value.of("x"), NONE);
        store.delete("gone", NONE);
        store.batch(List.of(BatchOperation.set("b/1", Value.of(1L), NONE), BatchOperation.set("b/2", Value.of(2L),
                NONE)));
        store.put("int", Value.of(42L), NONE);
        // Leases: lease 9 with two keys, a key with a lease of its own, and an idempotency record.
        long lease = store.grantLease(java.time.Duration.ofMinutes(1)).lease();
        assertThat(lease).isEqualTo(LEASE);
        store.execute(new Command.Put("leased/a", Value.of(1L), NONE, KeyLease.of(lease)));
        store.execute(new Command.Put("leased/b", Value.of("b"), NONE, KeyLease.of(lease)));
        store.execute(new Command.Put("own", Value.of("o"), NONE, KeyLease.grant(5_000)));
        store.idempotent("writer", "seen", FP, new Command.Increment("int", Value.of(1L), NONE));
    }

    /** The lease {@link #fill} grants. */
    private static final long LEASE = 9;

    /** Commands of every kind and outcome, decided against the state {@link #fill} leaves. */
    private static List<Command> probes() {
        return List.of(
                new Command.Put("new", Value.of("n"), NONE),
                new Command.Put("int", Value.of(7L), Precondition.ifRevision(8)),
                new Command.Put("int", Value.of(7L), Precondition.ifRevision(1)),
                new Command.Put("text", Value.of(2.5), Precondition.ifExists()),
                new Command.Put("new", Value.of(1L), Precondition.ifAbsent()),
                new Command.Put("int", Value.of(1L), Precondition.not(Precondition.anyOf(List.of(
                        Precondition.ifRevision(3), Precondition.ifRevision(8))))),
                new Command.Delete("float", NONE),
                new Command.Delete("gone", NONE),
                new Command.Delete("text", Precondition.ifAbsent()),
                new Command.Increment("int", Value.of(-50L), NONE),
                new Command.Increment("float", Value.of(2L), NONE),
                new Command.Increment("fresh", Value.of(0.25), NONE),
                new Command.Increment("text", Value.of(1L), NONE),
                new Command.Increment("int", Value.of(0.5), NONE),
                new Command.Increment("max", Value.of(1L), NONE),
                new Command.Batch(List.of(BatchOperation.set("b/1", Value.of("one"), Precondition.ifRevision(7)),
                        BatchOperation.delete("b/2", NONE), BatchOperation.delete("b/none", NONE),
                        BatchOperation.set("b/3", Value.of(3.0), Precondition.ifAbsent()))),
                new Command.Batch(List.of(BatchOperation.set("b/1", Value.of(0L), NONE),
                        BatchOperation.set("b/2", Value.of(0L), Precondition.ifRevision(99)),
                        BatchOperation.set("b/4", Value.of(0L), Precondition.ifExists()))),
                // leases
                new Command.Put("new", Value.of("n"), NONE, KeyLease.of(LEASE)),
                new Command.Put("new", Value.of("n"), NONE, KeyLease.of(999)),
                new Command.Put("leased/a", Value.of("n"), NONE),
                new Command.Put("fresh", Value.of(3L), Precondition.ifAbsent(), KeyLease.grant(2_000)),
                new Command.Increment("leased/a", Value.of(5L), NONE),
                new Command.Increment("int", Value.of(5L), NONE, KeyLease.of(LEASE)),
                new Command.Increment("int", Value.of(5L), NONE, KeyLease.of(999)),
                new Command.Batch(List.of(BatchOperation.set("b/1", Value.of(1L), NONE, KeyLease.of(LEASE)),
                        BatchOperation.set("leased/b", Value.of(2L), NONE))),
                new Command.Batch(List.of(BatchOperation.set("b/1", Value.of(1L), NONE),
                        BatchOperation.set("b/2", Value.of(2L), NONE, KeyLease.of(999)))),
                new Command.GrantLease(1_000),
                new Command.RevokeLease(LEASE, false, null),
                new Command.RevokeLease(LEASE, true, null),
                new Command.RevokeLease(LEASE, false, "leased/"),
                new Command.RevokeLease(LEASE, false, "other/"),
                new Command.RevokeLease(999, false, null),
                // idempotency: a new key (applied, refused), a repeat, a mismatch
                idem("new-key", new Command.Put("new", Value.of("n"), NONE)),
                idem("new-key", new Command.Delete("gone", NONE)),
                idem("new-key", new Command.Batch(List.of(BatchOperation.set("b/9", Value.of(9L), NONE,
                        KeyLease.of(LEASE))))),
                idem("new-key", new Command.RevokeLease(LEASE, false, null)),
                new Command.Idempotent("writer", "seen", FP, CLOCK.millis(), new Command.Increment("int",
                        Value.of(1L), NONE)),
                new Command.Idempotent("writer", "seen", OTHER, CLOCK.millis(), new Command.Increment("int",
                        Value.of(1L), NONE)),
                new Command.Idempotent("reader", "seen", FP, CLOCK.millis(), new Command.Increment("int",
                        Value.of(1L), NONE)));
    }

    private static Command idem(String key, Command inner) {
        return new Command.Idempotent("writer", key, FP, CLOCK.millis(), inner);
    }

    /** A state kept apart from the store's: plain maps and a counter. */
    private record MapState(Map<String, Entry> entries, long revision, Map<Long, Long> leases,
                            Map<Long, List<String>> keys, Map<List<String>, IdempotencyRecord> records)
            implements StateMachine.Context {
        static MapState copyOf(WalKeyValueStore store) {
            Map<String, Entry> copy = new TreeMap<>();
            Map<Long, List<String>> keys = new TreeMap<>();
            for (Map.Entry<String, Entry> e : store.list("", null, 1_000_000).entries()) {
                copy.put(e.getKey(), e.getValue());
                if (e.getValue().lease() != 0) {
                    keys.computeIfAbsent(e.getValue().lease(), l -> new ArrayList<>()).add(e.getKey());
                }
            }
            Map<List<String>, IdempotencyRecord> records = new java.util.HashMap<>();
            for (IdempotencyRecord r : store.state().records.copy().records()) {
                records.put(List.of(r.scope(), r.key()), r);
            }
            return new MapState(copy, store.revision(), new TreeMap<>(store.state().leases.leases()), keys, records);
        }

        @Override
        public Entry get(String key) {
            return entries.get(key);
        }

        @Override
        public long leaseTtl(long lease) {
            return leases.getOrDefault(lease, -1L);
        }

        @Override
        public java.util.Collection<String> leaseKeys(long lease) {
            return keys.getOrDefault(lease, List.of());
        }

        @Override
        public IdempotencyRecord record(String scope, String key) {
            return records.get(List.of(scope, key));
        }
    }

    /** What a decision is, as comparable values (its frame as a list of bytes). */
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

    private static List<Decided> decideAll(StateMachine.Context state) {
        StateMachine machine = new StateMachine(MAGIC);
        List<Decided> out = new ArrayList<>();
        for (Command c : probes()) {
            out.add(Decided.of(machine.decide(state, c)));
        }
        return out;
    }

    @Test
    void theSameCommandAgainstTheSameStateIsDecidedTheSameWayEvenAfterARestart() throws IOException {
        List<Decided> live;
        try (WalKeyValueStore store = open()) {
            fill(store);
            long revision = store.revision();
            Map<String, Value> before = store.entries();

            live = decideAll(store.state());
            assertThat(decideAll(store.state())).as("decided twice").isEqualTo(live);
            assertThat(decideAll(MapState.copyOf(store))).as("decided against a copy of the state").isEqualTo(live);
            assertThat(store.revision()).as("deciding changes nothing").isEqualTo(revision);
            assertThat(store.entries()).isEqualTo(before);
        }
        try (WalKeyValueStore store = open()) {
            assertThat(decideAll(store.state())).as("decided against the state rebuilt from the log").isEqualTo(live);
        }
        // Spot checks that the probes cover what they claim.
        assertThat(live).extracting(d -> d.result() instanceof WriteResult w ? w.outcome() : null).contains(
                WriteOutcome.CREATED, WriteOutcome.REPLACED, WriteOutcome.DELETED, WriteOutcome.NOT_FOUND,
                WriteOutcome.PRECONDITION_FAILED, WriteOutcome.NOT_A_NUMBER, WriteOutcome.TYPE_MISMATCH,
                WriteOutcome.OVERFLOW);
        assertThat(live).extracting(d -> d.result() instanceof BatchResult b ? b.applied() : null).contains(true,
                false);
        assertThat(live).extracting(d -> d.result() instanceof WriteResult w ? w.outcome() : null)
                .contains(WriteOutcome.LEASE_NOT_FOUND);
        assertThat(live).extracting(d -> d.result() instanceof LeaseResult l ? l.outcome() : null).contains(
                LeaseOutcome.GRANTED, LeaseOutcome.REVOKED, LeaseOutcome.EXPIRED, LeaseOutcome.NOT_FOUND,
                LeaseOutcome.OUT_OF_SCOPE);
        assertThat(live).extracting(d -> d.result() instanceof IdempotentResult i ? i.status() : null).contains(
                IdempotentResult.Status.APPLIED, IdempotentResult.Status.REPLAYED, IdempotentResult.Status.MISMATCH);
    }

    @Test
    void theStoreWritesTheFrameThatWasDecidedAndAnswersTheResult() throws IOException {
        try (WalKeyValueStore store = open()) {
            fill(store);
            for (Command c : probes()) {
                Decision d = new StateMachine(MAGIC).decide(store.state(), c);
                long before = Files.size(log());
                CommandResult answered = execute(store, c);
                byte[] log = Files.readAllBytes(log());
                assertThat(answered).as("%s", c).isEqualTo(d.result());
                if (d.writes()) {
                    assertThat(Arrays.copyOfRange(log, (int) before, log.length)).as("the frame of %s", c)
                            .isEqualTo(d.frame());
                    assertThat(store.revision()).isEqualTo(d.revision());
                } else {
                    assertThat(log.length).as("%s writes nothing", c).isEqualTo(before);
                }
                for (Change change : d.changes()) {
                    assertThat(store.get(change.key())).as("%s applied", c).isEqualTo(change.current());
                }
            }
        }
    }

    @Test
    void aDecisionCarriesEachChangeWithTheEntryBeforeIt() throws IOException {
        try (WalKeyValueStore store = open()) {
            fill(store);
            Entry int0 = store.get("int");
            Entry b2 = store.get("b/2");
            Decision d = new StateMachine(MAGIC).decide(store.state(), new Command.Batch(List.of(
                    BatchOperation.set("int", Value.of(0L), NONE), BatchOperation.delete("b/2", NONE),
                    BatchOperation.delete("missing", NONE), BatchOperation.set("fresh", Value.of("f"), NONE))));
            long rev = store.revision() + 1;
            assertThat(d.revision()).isEqualTo(rev);
            assertThat(d.changes()).containsExactly(
                    new Change("int", int0, new Entry(Value.of(0L), rev, int0.createRevision())),
                    new Change("b/2", b2, null),
                    new Change("fresh", null, new Entry(Value.of("f"), rev, rev)));
        }
    }

    private static CommandResult execute(WalKeyValueStore store, Command c) {
        if (c instanceof Command.Idempotent i) {
            return store.idempotent(i.scope(), i.key(), i.fingerprint(), i.command());
        }
        if (c instanceof Command.Put p && p.lease() instanceof KeyLease.None) {
            return store.put(p.key(), p.value(), p.precondition());
        }
        if (!(c instanceof Command.Delete || c instanceof Command.Increment || c instanceof Command.Batch)) {
            return store.execute(c);
        }
        if (c instanceof Command.Delete p) {
            return store.delete(p.key(), p.precondition());
        }
        if (c instanceof Command.Increment p) {
            return p.lease() instanceof KeyLease.Keep ? store.increment(p.key(), p.step(), p.precondition())
                    : store.execute(p);
        }
        return store.batch(((Command.Batch) c).operations());
    }
}
