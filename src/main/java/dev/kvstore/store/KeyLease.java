package dev.kvstore.store;

/**
 * What a write does to the lease of the key it sets: leave it with none (a plain PUT, which detaches), keep the one
 * it has (an increment, unless told otherwise), attach it to an existing lease, or grant a new lease for this key
 * alone. The new lease's id is the write's revision, so a command never needs to know it in advance.
 */
public sealed interface KeyLease {

    /** The key has no lease after the write. */
    KeyLease NONE = new None();

    /** The key keeps the lease it has (none for a key the write creates). */
    KeyLease KEEP = new Keep();

    /** Attaches the key to the lease {@code id}; the write is refused when that lease does not exist. */
    static KeyLease of(long id) {
        return new Attach(id);
    }

    /** Grants a new lease of {@code ttlMillis} and attaches the key to it, in the same revision. */
    static KeyLease grant(long ttlMillis) {
        return new Grant(ttlMillis);
    }

    record None() implements KeyLease {
    }

    record Keep() implements KeyLease {
    }

    record Attach(long id) implements KeyLease {
        public Attach {
            if (id <= 0) {
                throw new IllegalArgumentException("a lease id is positive");
            }
        }
    }

    record Grant(long ttlMillis) implements KeyLease {
    }
}
