package dev.kvstore.cluster.linearizability;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decides whether a history of reads, writes and compare-and-sets on registers is linearizable: whether each
 * operation can be given one instant between its invocation and its answer such that, taken in that order, every
 * answer is what a single register would have given. The Wing-Gong search with Lowe's memo of (operations placed,
 * register value) pairs, run per key: linearizability is local, so a history of single-key operations is
 * linearizable exactly when each key's part is.
 * <p>
 * An operation with an unknown outcome has no answer time: the search may place it anywhere after its invocation,
 * including after everything else, which is the same as never (nothing observes it there). A compare-and-set
 * with an unknown outcome may succeed or fail.
 */
public final class LinearizabilityChecker {

    /** Search steps allowed per key before giving up (the problem is NP-complete in general). */
    private final long stepBudget;

    public LinearizabilityChecker() {
        this(50_000_000L);
    }

    public LinearizabilityChecker(long stepBudget) {
        this.stepBudget = stepBudget;
    }

    /**
     * @param initialValues the value of each key before the history began; keys not present start absent
     */
    public Report check(List<Operation> history, Map<String, String> initialValues) {
        final Map<String, List<Operation>> byKey = new LinkedHashMap<>();
        for (Operation op : history) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        final List<KeyResult> results = new ArrayList<>();
        for (Map.Entry<String, List<Operation>> e : byKey.entrySet()) {
            results.add(checkKey(e.getKey(), e.getValue(), initialValues.get(e.getKey())));
        }
        return new Report(results);
    }

    public Report check(List<Operation> history) {
        return check(history, Map.of());
    }

    private KeyResult checkKey(String key, List<Operation> ops, String initial) {
        final Search search = new Search(ops, initial, stepBudget);
        return new KeyResult(key, ops.size(), search.run(), search.deepest, search.stuckAt, search.steps);
    }

    /** The verdict for one key. */
    public record KeyResult(String key, int operations, Verdict verdict, List<Operation> longestOrder,
                            Operation stuckAt, long steps) {

        public String explain() {
            if (verdict == Verdict.LINEARIZABLE) {
                return key + ": linearizable (" + operations + " operations, " + steps + " steps)";
            }
            final StringBuilder b = new StringBuilder(key).append(": ").append(verdict).append(" (")
                    .append(operations).append(" operations, ").append(steps).append(" steps); the longest ")
                    .append("linearizable order found places ").append(longestOrder.size()).append(":\n");
            final int from = Math.max(0, longestOrder.size() - 10);
            if (from > 0) {
                b.append("  ... ").append(from).append(" earlier\n");
            }
            longestOrder.subList(from, longestOrder.size()).forEach(op -> b.append("  ").append(op).append('\n'));
            if (stuckAt != null) {
                b.append("and then no operation fits before this one's answer: ").append(stuckAt).append('\n');
            }
            return b.toString();
        }
    }

    public enum Verdict { LINEARIZABLE, NOT_LINEARIZABLE, UNDECIDED }

    /** The verdicts for every key. */
    public record Report(List<KeyResult> keys) {

        public boolean linearizable() {
            return keys.stream().allMatch(k -> k.verdict() == Verdict.LINEARIZABLE);
        }

        public String explain() {
            final StringBuilder b = new StringBuilder();
            for (KeyResult k : keys) {
                if (k.verdict() != Verdict.LINEARIZABLE) {
                    b.append(k.explain());
                }
            }
            return b.length() == 0 ? "linearizable: " + keys.size() + " keys, "
                    + keys.stream().mapToInt(KeyResult::operations).sum() + " operations" : b.toString();
        }
    }

    /** One call or answer in the time-ordered list the search walks. */
    private static final class Entry {
        final Operation op;
        final int index;
        final boolean call;
        Entry match;
        Entry prev;
        Entry next;

        Entry(Operation op, int index, boolean call) {
            this.op = op;
            this.index = index;
            this.call = call;
        }
    }

    private record Memo(BitSet placed, String value) {
    }

    private record Frame(Entry call, String valueBefore) {
    }

    private static final class Search {
        private final Entry head = new Entry(null, -1, false);
        private final long budget;
        private final String initial;
        long steps;
        List<Operation> deepest = List.of();
        Operation stuckAt;

        Search(List<Operation> ops, String initial, long budget) {
            this.budget = budget;
            this.initial = initial;
            final List<Entry> entries = new ArrayList<>();
            for (int i = 0; i < ops.size(); i++) {
                final Entry call = new Entry(ops.get(i), i, true);
                final Entry answer = new Entry(ops.get(i), i, false);
                call.match = answer;
                answer.match = call;
                entries.add(call);
                entries.add(answer);
            }
            // At equal times a call comes first, so that touching operations count as concurrent.
            entries.sort(Comparator.comparingLong((Entry e) -> e.call ? e.op.invoked() : e.op.completed())
                    .thenComparing(e -> e.call ? 0 : 1));
            Entry last = head;
            for (Entry e : entries) {
                last.next = e;
                e.prev = last;
                last = e;
            }
        }

        Verdict run() {
            final Deque<Frame> stack = new ArrayDeque<>();
            final Set<Memo> seen = new HashSet<>();
            BitSet placed = new BitSet();
            String value = initial;
            Entry entry = head.next;
            while (head.next != null) {
                if (++steps > budget) {
                    return Verdict.UNDECIDED;
                }
                if (entry.call) {
                    final Operation op = entry.op;
                    final Step step = step(op, value);
                    if (step != null) {
                        final BitSet next = (BitSet) placed.clone();
                        next.set(entry.index);
                        if (seen.add(new Memo(next, step.value))) {
                            stack.push(new Frame(entry, value));
                            placed = next;
                            value = step.value;
                            lift(entry);
                            entry = head.next;
                            continue;
                        }
                    }
                    entry = entry.next;
                } else {
                    if (stack.size() > deepest.size() || stuckAt == null) {
                        final List<Operation> order = new ArrayList<>();
                        stack.descendingIterator().forEachRemaining(f -> order.add(f.call().op));
                        deepest = order;
                        stuckAt = entry.op;
                    }
                    if (stack.isEmpty()) {
                        return Verdict.NOT_LINEARIZABLE;
                    }
                    final Frame top = stack.pop();
                    placed = (BitSet) placed.clone();
                    placed.clear(top.call().index);
                    value = top.valueBefore();
                    unlift(top.call());
                    entry = top.call().next;
                }
            }
            return Verdict.LINEARIZABLE;
        }

        private record Step(String value) {
        }

        /** The register's value after {@code op}, if {@code op}'s answer fits {@code value}; else null. */
        private static Step step(Operation op, String value) {
            return switch (op.kind()) {
                case READ -> Objects.equals(op.observed(), value) ? new Step(value) : null;
                case WRITE -> new Step(op.value());
                case CAS -> {
                    final boolean matches = Objects.equals(op.expected(), value);
                    if (op.unknown()) {
                        yield new Step(matches ? op.value() : value);
                    }
                    yield matches == op.succeeded() ? new Step(matches ? op.value() : value) : null;
                }
            };
        }

        /** Takes a placed operation's call and answer out of the list. */
        private static void lift(Entry call) {
            call.prev.next = call.next;
            if (call.next != null) {
                call.next.prev = call.prev;
            }
            final Entry answer = call.match;
            answer.prev.next = answer.next;
            if (answer.next != null) {
                answer.next.prev = answer.prev;
            }
        }

        /** Puts them back, in the reverse order. */
        private static void unlift(Entry call) {
            final Entry answer = call.match;
            answer.prev.next = answer;
            if (answer.next != null) {
                answer.next.prev = answer;
            }
            call.prev.next = call;
            if (call.next != null) {
                call.next.prev = call;
            }
        }
    }
}
