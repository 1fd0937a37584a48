package dev.kvstore.cluster.linearizability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.cluster.linearizability.LinearizabilityChecker.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The checker on histories whose verdict is known, built by hand with explicit times, and generated ones. */
class LinearizabilityCheckerTest {

    private final LinearizabilityChecker checker = new LinearizabilityChecker();
    private final List<Operation> ops = new ArrayList<>();

    // ---- building histories: [from, to] is the operation's interval; to < 0 means unknown outcome

    private void read(String key, long from, long to, String observed) {
        add(key, Operation.Kind.READ, null, null, from, to, observed, false);
    }

    private void write(String key, long from, long to, String value) {
        add(key, Operation.Kind.WRITE, value, null, from, to, null, false);
    }

    private void cas(String key, long from, long to, String expected, String value, boolean succeeded) {
        add(key, Operation.Kind.CAS, value, expected, from, to, null, succeeded);
    }

    private void add(String key, Operation.Kind kind, String value, String expected, long from, long to,
                     String observed, boolean succeeded) {
        final boolean unknown = to < 0;
        ops.add(new Operation(ops.size(), "c" + ops.size(), key, kind, value, expected, from,
                unknown ? Long.MAX_VALUE : to, unknown ? Operation.Outcome.UNKNOWN : Operation.Outcome.OK,
                observed, succeeded));
    }

    private Verdict verdict() {
        final LinearizabilityChecker.Report report = checker.check(ops);
        final Verdict v = report.keys().stream().map(LinearizabilityChecker.KeyResult::verdict)
                .filter(x -> x != Verdict.LINEARIZABLE).findFirst().orElse(Verdict.LINEARIZABLE);
        assertThat(report.linearizable()).isEqualTo(v == Verdict.LINEARIZABLE);
        return v;
    }

    // ---- linearizable

    @Test
    void anEmptyHistoryIsLinearizable() {
        assertThat(verdict()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void sequentialOperationsThatMatchARegister() {
        read("k", 0, 1, null);
        write("k", 2, 3, "a");
        read("k", 4, 5, "a");
        cas("k", 6, 7, "a", "b", true);
        cas("k", 8, 9, "a", "c", false);
        read("k", 10, 11, "b");
        write("k", 12, 13, null);
        read("k", 14, 15, null);
        assertThat(verdict()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"old", "new"})
    void aReadConcurrentWithAWriteMaySeeEitherValue(String seen) {
        write("k", 0, 1, "old");
        write("k", 2, 10, "new");
        read("k", 3, 4, seen);
        assertThat(verdict()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void operationsThatOnlyTouchCountAsConcurrent() {
        write("k", 0, 5, "a");
        read("k", 5, 6, null); // invoked at the instant the write answered: may precede it
        assertThat(verdict()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void concurrentCompareAndSetsOnlyOneWins() {
        write("k", 0, 1, "a");
        cas("k", 2, 10, "a", "x", true);
        cas("k", 3, 9, "a", "y", false);
        read("k", 11, 12, "x");
        assertThat(verdict()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void aWriteWithUnknownOutcomeMayTakeEffectLater() {
        write("k", 0, 1, "a");
        write("k", 2, -1, "b");
        read("k", 3, 4, "a");
        read("k", 20, 21, "b"); // applied long after the client gave up
        assertThat(verdict()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void aWriteWithUnknownOutcomeMayNeverTakeEffect() {
        write("k", 0, 1, "a");
        write("k", 2, -1, "b");
        read("k", 30, 31, "a");
        write("k", 32, 33, "c");
        read("k", 34, 35, "c");
        assertThat(verdict()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "b"})
    void aCompareAndSetWithUnknownOutcomeMaySucceedOrNot(String seen) {
        write("k", 0, 1, "a");
        cas("k", 2, -1, "a", "b", false);
        read("k", 10, 11, seen);
        assertThat(verdict()).isEqualTo(Verdict.LINEARIZABLE);
    }

    // ---- not linearizable

    @Test
    void aReadOfAValueNeverWritten() {
        write("k", 0, 1, "a");
        read("k", 2, 3, "z");
        assertThat(verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void aStaleReadAfterAnAcknowledgedWrite() {
        write("k", 0, 1, "a");
        write("k", 2, 3, "b");
        read("k", 4, 5, "a");
        assertThat(verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void aNewValueSeenThenTheOldOneAgain() {
        write("k", 0, 1, "old");
        write("k", 2, 20, "new");
        read("k", 3, 4, "new");
        read("k", 5, 6, "old"); // both reads overlap the write, but not each other
        assertThat(verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void twoCompareAndSetsFromTheSameValueBothSucceeding() {
        write("k", 0, 1, "a");
        cas("k", 2, 10, "a", "x", true);
        cas("k", 3, 9, "a", "y", true);
        assertThat(verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void aCompareAndSetThatFailedAlthoughTheValueMatched() {
        write("k", 0, 1, "a");
        cas("k", 2, 3, "a", "b", false);
        assertThat(verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void anUnknownWriteObservedThenUndone() {
        write("k", 0, 1, "a");
        write("k", 2, -1, "b");
        read("k", 3, 4, "b");
        read("k", 5, 6, "a");
        assertThat(verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Test
    void theReportNamesTheKeyThatFails() {
        write("good", 0, 1, "a");
        read("good", 2, 3, "a");
        write("bad", 0, 1, "a");
        read("bad", 2, 3, "b");

        final LinearizabilityChecker.Report report = checker.check(ops);

        assertThat(report.linearizable()).isFalse();
        assertThat(report.keys()).filteredOn(k -> k.verdict() == Verdict.NOT_LINEARIZABLE)
                .extracting(LinearizabilityChecker.KeyResult::key).containsExactly("bad");
        assertThat(report.explain()).contains("bad").doesNotContain("good:").contains("read -> 'b'");
    }

    @Test
    void anInitialValueIsHonoured() {
        read("k", 0, 1, "there");
        assertThat(checker.check(ops, Map.of("k", "there")).linearizable()).isTrue();
        assertThat(checker.check(ops).linearizable()).isFalse();
    }

    @Test
    void aSearchBeyondItsBudgetIsUndecidedNotPassed() {
        for (int i = 0; i < 12; i++) {
            write("k", 0, 100, "v" + i);
        }
        read("k", 101, 102, "nowhere");
        final LinearizabilityChecker.Report report = new LinearizabilityChecker(1_000).check(ops);
        assertThat(report.linearizable()).isFalse();
        assertThat(report.keys().get(0).verdict()).isEqualTo(Verdict.UNDECIDED);
    }

    // ---- generated histories

    /**
     * Clients run operations against one register; each takes effect at a random instant inside its interval
     * (and some answers are lost), so the history is linearizable by construction. Changing one read's answer to a
     * value no one wrote makes it not linearizable.
     */
    @Test
    void generatedLinearizableHistoriesPassAndACorruptedReadFails() {
        final long seed = Long.getLong("kv.test.seed", new Random().nextLong());
        System.out.println("LinearizabilityCheckerTest seed " + seed + " (replay with -Dkv.test.seed=" + seed + ")");
        final Random random = new Random(seed);
        for (int round = 0; round < 30; round++) {
            ops.clear();
            generate(random, 3 + random.nextInt(6), 40 + random.nextInt(80));
            assertThat(checker.check(ops).linearizable()).as("seed %d round %d: %s", seed, round,
                    checker.check(ops).explain()).isTrue();

            final List<Integer> reads = new ArrayList<>();
            for (int i = 0; i < ops.size(); i++) {
                if (ops.get(i).kind() == Operation.Kind.READ) {
                    reads.add(i);
                }
            }
            if (!reads.isEmpty()) {
                final int i = reads.get(random.nextInt(reads.size()));
                final Operation r = ops.get(i);
                ops.set(i, new Operation(r.id(), r.client(), r.key(), r.kind(), null, null, r.invoked(),
                        r.completed(), r.outcome(), "never-written", false));
                assertThat(checker.check(ops).linearizable()).as("seed %d round %d", seed, round).isFalse();
            }
        }
    }

    /** Simulates {@code clients} concurrent clients on keys "a" and "b", {@code count} operations in all. */
    private void generate(Random random, int clients, int count) {
        record Planned(Operation.Kind kind, String key, String value, String expected, long from, long to,
                       long at, boolean lost) {
        }
        final long[] clientFree = new long[clients];
        final List<Planned> planned = new ArrayList<>();
        int unique = 0;
        for (int i = 0; i < count; i++) {
            final int c = random.nextInt(clients);
            final long from = clientFree[c] + random.nextInt(5);
            final long to = from + 1 + random.nextInt(30);
            clientFree[c] = to + 1;
            final long at = from + random.nextInt((int) (to - from) + 1);
            final String key = random.nextBoolean() ? "a" : "b";
            final Operation.Kind kind = Operation.Kind.values()[random.nextInt(3)];
            final String value = kind == Operation.Kind.READ ? null : "v" + unique++;
            final String expected = random.nextInt(3) == 0 ? null : "v" + random.nextInt(Math.max(1, unique));
            final boolean lost = kind != Operation.Kind.READ && random.nextInt(10) == 0;
            // A lost write that never happened is modelled by taking effect after everything else.
            planned.add(new Planned(kind, key, value, expected, from, to,
                    lost && random.nextBoolean() ? Long.MAX_VALUE / 2 : at, lost));
        }
        final Map<String, String> register = new java.util.HashMap<>();
        planned.stream().sorted(java.util.Comparator.comparingLong(Planned::at)).forEach(p -> {
            final String current = register.get(p.key());
            String observed = null;
            boolean succeeded = false;
            switch (p.kind()) {
                case READ -> observed = current;
                case WRITE -> register.put(p.key(), p.value());
                case CAS -> {
                    succeeded = java.util.Objects.equals(current, p.expected());
                    if (succeeded) {
                        register.put(p.key(), p.value());
                    }
                }
            }
            ops.add(new Operation(ops.size(), "c", p.key(), p.kind(), p.value(), p.expected(), p.from(),
                    p.lost() ? Long.MAX_VALUE : p.to(), p.lost() ? Operation.Outcome.UNKNOWN : Operation.Outcome.OK,
                    observed, succeeded));
        });
    }
}
