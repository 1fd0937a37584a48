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

    private WalKeyValueStore open() throws IOException {
        return WalKeyValueStore.open(StoreOptions.defaults(dir));
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
    }

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
                        BatchOperation.set("b/4", Value.of(0L), Precondition.ifExists()))));
    }

    /** A state kept apart from the store's index: a plain sorted map and a counter. */
    private record MapState(Map<String, Entry> entries, long revision) implements StateMachine.State {
        static MapState copyOf(WalKeyValueStore store) {
            Map<String, Entry> copy = new TreeMap<>();
            for (Map.Entry<String, Entry> e : store.list("", null, 1_000_000).entries()) {
                copy.put(e.getKey(), e.getValue());
            }
            return new MapState(copy, store.revision());
        }

        @Override
        public Entry get(String key) {
            return entries.get(key);
        }
    }

    /** What a decision is, as comparable values (its frame as a list of bytes). */
    private record Decided(CommandResult result, long revision, List<Change> changes, List<Byte> frame) {
        static Decided of(Decision d) {
            List<Byte> frame = null;
            if (d.frame() != null) {
                frame = new ArrayList<>();
                for (byte b : d.frame()) {
                    frame.add(b);
                }
            }
            return new Decided(d.result(), d.revision(), d.changes(), frame);
        }
    }

    private static List<Decided> decideAll(StateMachine.State state) {
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

            live = decideAll(store.index());
            assertThat(decideAll(store.index())).as("decided twice").isEqualTo(live);
            assertThat(decideAll(MapState.copyOf(store))).as("decided against a copy of the state").isEqualTo(live);
            assertThat(store.revision()).as("deciding changes nothing").isEqualTo(revision);
            assertThat(store.entries()).isEqualTo(before);
        }
        try (WalKeyValueStore store = open()) {
            assertThat(decideAll(store.index())).as("decided against the state rebuilt from the log").isEqualTo(live);
        }
        // Spot checks that the probes cover what they claim.
        assertThat(live).extracting(d -> d.result() instanceof WriteResult w ? w.outcome() : null).contains(
                WriteOutcome.CREATED, WriteOutcome.REPLACED, WriteOutcome.DELETED, WriteOutcome.NOT_FOUND,
                WriteOutcome.PRECONDITION_FAILED, WriteOutcome.NOT_A_NUMBER, WriteOutcome.TYPE_MISMATCH,
                WriteOutcome.OVERFLOW);
        assertThat(live).extracting(d -> d.result() instanceof BatchResult b ? b.applied() : null).contains(true,
                false);
    }

    @Test
    void theStoreWritesTheFrameThatWasDecidedAndAnswersTheResult() throws IOException {
        try (WalKeyValueStore store = open()) {
            fill(store);
            for (Command c : probes()) {
                Decision d = new StateMachine(MAGIC).decide(store.index(), c);
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
            Decision d = new StateMachine(MAGIC).decide(store.index(), new Command.Batch(List.of(
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
}
