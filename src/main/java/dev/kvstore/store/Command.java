package dev.kvstore.store;

import java.util.List;
import java.util.Objects;

/**
 * A write, as a value: what to change and under which {@link Precondition}. The {@link StateMachine} decides it
 * against the state, deterministically, so the same command applied to the same state has the same result on any
 * machine; {@link CommandCodec} turns it into bytes and back, which is how a replicated log carries it.
 *
 * <p>A new kind of write is a new record here, a case in {@link StateMachine#decide} and a tag in
 * {@link CommandCodec}; nothing else changes.
 */
public sealed interface Command permits Command.Put, Command.Delete, Command.Increment, Command.Batch {

    /** Sets {@code key} to {@code value}. */
    record Put(String key, Value value, Precondition precondition) implements Command {
        public Put {
            Objects.requireNonNull(value, "value");
            precondition = precondition == null ? Precondition.NONE : precondition;
        }
    }

    /** Deletes {@code key}: {@link WriteOutcome#NOT_FOUND}, writing nothing, when it has no value. */
    record Delete(String key, Precondition precondition) implements Command {
        public Delete {
            precondition = precondition == null ? Precondition.NONE : precondition;
        }
    }

    /**
     * Adds {@code step} (an integer or a float) to the number under {@code key}; a missing key is created with
     * {@code step} as its value.
     */
    record Increment(String key, Value step, Precondition precondition) implements Command {
        public Increment {
            Objects.requireNonNull(step, "step");
            precondition = precondition == null ? Precondition.NONE : precondition;
        }
    }

    /** Applies all of {@code operations} under one revision, or none when a precondition fails. */
    record Batch(List<BatchOperation> operations) implements Command {
        public Batch {
            operations = List.copyOf(operations);
        }
    }
}
