package dev.kvstore.store;

import java.util.List;
import java.util.Objects;

/**
 * A write, as a value: what to change and under which {@link Precondition}. The {@link StateMachine} decides it
 * against the state, deterministically, so the same command applied to the same state has the same result on any
 * machine; {@link CommandCodec} turns it into bytes and back, which is how a replicated log carries it. Nothing in a
 * command is read from a clock while it is decided: what depends on time (an idempotency record's time) is decided
 * before the command is queued and travels inside it.
 *
 * <p>A new kind of write is a new record here, a case in {@link StateMachine#decide} and a tag in
 * {@link CommandCodec}; nothing else changes.
 */
public sealed interface Command permits Command.Put, Command.Delete, Command.Increment, Command.Batch,
        Command.GrantLease, Command.RevokeLease, Command.Idempotent {

    /** Sets {@code key} to {@code value}, with the lease {@code lease} says ({@link KeyLease#NONE}: none). */
    record Put(String key, Value value, Precondition precondition, KeyLease lease) implements Command {
        public Put {
            Objects.requireNonNull(value, "value");
            precondition = precondition == null ? Precondition.NONE : precondition;
            lease = lease == null ? KeyLease.NONE : lease;
        }

        public Put(String key, Value value, Precondition precondition) {
            this(key, value, precondition, KeyLease.NONE);
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
     * {@code step} as its value. The key keeps its lease unless {@code lease} says otherwise.
     */
    record Increment(String key, Value step, Precondition precondition, KeyLease lease) implements Command {
        public Increment {
            Objects.requireNonNull(step, "step");
            precondition = precondition == null ? Precondition.NONE : precondition;
            lease = lease == null ? KeyLease.KEEP : lease;
        }

        public Increment(String key, Value step, Precondition precondition) {
            this(key, step, precondition, KeyLease.KEEP);
        }
    }

    /** Applies all of {@code operations} under one revision, or none when a precondition fails. */
    record Batch(List<BatchOperation> operations) implements Command {
        public Batch {
            operations = List.copyOf(operations);
        }
    }

    /** Grants a lease of {@code ttlMillis}; its id is the revision the grant takes. */
    record GrantLease(long ttlMillis) implements Command {
    }

    /**
     * Ends the lease {@code lease} and deletes every key attached to it, in one revision: revoked on request, or
     * {@code expired} by the node that keeps the deadlines. With a {@code keyPrefix}, it is refused
     * ({@link LeaseOutcome#OUT_OF_SCOPE}) unless every attached key starts with it: a caller limited to some keys
     * cannot delete others through a lease.
     */
    record RevokeLease(long lease, boolean expired, String keyPrefix) implements Command {
    }

    /**
     * {@code command}, remembered under the idempotency key {@code key} of the caller {@code scope}: the first time,
     * it is decided and its result recorded in the same revision (the same frame); when a record of the key exists,
     * nothing is decided again and the remembered result is answered, or a mismatch when the record is of another
     * request ({@code fingerprint}, a hash of the request, differs). {@code timeMillis} is the wall-clock time the
     * request was accepted, read before the command was queued; records expire by it.
     */
    record Idempotent(String scope, String key, Fingerprint fingerprint, long timeMillis, Command command)
            implements Command {
        public Idempotent {
            Objects.requireNonNull(scope, "scope");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(fingerprint, "fingerprint");
            Objects.requireNonNull(command, "command");
            if (command instanceof Idempotent) {
                throw new IllegalArgumentException("an idempotent command does not nest");
            }
        }
    }

    /** 128 bits that identify a request (a hash of it), as two longs so that equality is that of the value. */
    record Fingerprint(long high, long low) {

        /** The first 16 bytes of {@code hash}, big-endian. */
        public static Fingerprint of(byte[] hash) {
            if (hash.length < 16) {
                throw new IllegalArgumentException("a fingerprint takes 16 bytes");
            }
            return new Fingerprint(java.nio.ByteBuffer.wrap(hash, 0, 8).getLong(),
                    java.nio.ByteBuffer.wrap(hash, 8, 8).getLong());
        }
    }
}
