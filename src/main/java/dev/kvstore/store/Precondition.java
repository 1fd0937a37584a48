package dev.kvstore.store;

import java.util.List;
import java.util.Objects;

/**
 * A condition on a key's current entry ({@code null} when it has none) that a write needs to go ahead. It is data,
 * not code, so that it can travel inside a {@link Command} (to another replica, say) and be tested the same way
 * everywhere: {@link #test} is a pure function of the entry. The {@link StateMachine} tests it against the state the
 * write would change, so a write that passes it cannot overwrite a change it did not see.
 *
 * <p>HTTP's {@code If-Match} and {@code If-None-Match} lists become {@link #anyOf}, {@link #not} and {@link #allOf}
 * of the four simple ones.
 */
public sealed interface Precondition {

    /** Always holds. */
    Precondition NONE = new None();

    boolean test(Entry current);

    /** The key's last change has this revision. */
    static Precondition ifRevision(long revision) {
        return new IfRevision(revision);
    }

    /** The key has no value. */
    static Precondition ifAbsent() {
        return IfAbsent.INSTANCE;
    }

    /** The key has a value. */
    static Precondition ifExists() {
        return IfExists.INSTANCE;
    }

    /** Every one of {@code conditions} holds; with none, this always holds. */
    static Precondition allOf(List<Precondition> conditions) {
        return new AllOf(conditions);
    }

    /** At least one of {@code conditions} holds; with none, this never holds. */
    static Precondition anyOf(List<Precondition> conditions) {
        return new AnyOf(conditions);
    }

    /** {@code condition} does not hold. */
    static Precondition not(Precondition condition) {
        return new Not(condition);
    }

    record None() implements Precondition {
        @Override
        public boolean test(Entry current) {
            return true;
        }
    }

    record IfRevision(long revision) implements Precondition {
        @Override
        public boolean test(Entry current) {
            return current != null && current.revision() == revision;
        }
    }

    record IfAbsent() implements Precondition {
        static final IfAbsent INSTANCE = new IfAbsent();

        @Override
        public boolean test(Entry current) {
            return current == null;
        }
    }

    record IfExists() implements Precondition {
        static final IfExists INSTANCE = new IfExists();

        @Override
        public boolean test(Entry current) {
            return current != null;
        }
    }

    record AllOf(List<Precondition> conditions) implements Precondition {
        public AllOf {
            conditions = List.copyOf(conditions);
        }

        @Override
        public boolean test(Entry current) {
            for (Precondition c : conditions) {
                if (!c.test(current)) {
                    return false;
                }
            }
            return true;
        }
    }

    record AnyOf(List<Precondition> conditions) implements Precondition {
        public AnyOf {
            conditions = List.copyOf(conditions);
        }

        @Override
        public boolean test(Entry current) {
            for (Precondition c : conditions) {
                if (c.test(current)) {
                    return true;
                }
            }
            return false;
        }
    }

    record Not(Precondition condition) implements Precondition {
        public Not {
            Objects.requireNonNull(condition, "condition");
        }

        @Override
        public boolean test(Entry current) {
            return !condition.test(current);
        }
    }
}
