package dev.kvstore.cluster.linearizability;

import java.util.Objects;

/**
 * One completed (or abandoned) operation on one key of a register store, as a client saw it: when it was invoked,
 * when its answer arrived, and what the answer was. Times come from one clock ({@link System#nanoTime()} in the
 * process that runs the clients).
 *
 * @param id        unique within a history
 * @param client    who issued it (for reports)
 * @param key       the register
 * @param kind      read, write (a null {@code value} deletes) or compare-and-set
 * @param value     what a write or compare-and-set stores; null deletes
 * @param expected  what a compare-and-set requires the current value to be; null: that the key is absent
 * @param invoked   before the request was sent
 * @param completed after the answer arrived; {@link Long#MAX_VALUE} when the outcome is unknown
 * @param outcome   {@link Outcome#OK}: the answer is known; {@link Outcome#UNKNOWN}: timed out or failed in a way
 *                  that may still have applied it, at any time after {@code invoked}, or never
 * @param observed  what a read returned (null: absent)
 * @param succeeded whether a compare-and-set with a known outcome took effect
 */
public record Operation(long id, String client, String key, Kind kind, String value, String expected,
                        long invoked, long completed, Outcome outcome, String observed, boolean succeeded) {

    public enum Kind { READ, WRITE, CAS }

    public enum Outcome { OK, UNKNOWN }

    public Operation {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(outcome, "outcome");
        if (outcome == Outcome.UNKNOWN) {
            completed = Long.MAX_VALUE;
        }
        if (completed < invoked) {
            throw new IllegalArgumentException("operation " + id + " completed before it was invoked");
        }
    }

    public boolean unknown() {
        return outcome == Outcome.UNKNOWN;
    }

    @Override
    public String toString() {
        final String what = switch (kind) {
            case READ -> "read -> " + show(observed);
            case WRITE -> "write " + show(value);
            case CAS -> "cas " + show(expected) + " -> " + show(value)
                    + (unknown() ? "" : succeeded ? " succeeded" : " failed");
        };
        return "#" + id + " " + client + " " + key + ": " + what + " [" + invoked + ", "
                + (unknown() ? "unknown" : completed) + "]";
    }

    private static String show(String v) {
        return v == null ? "(absent)" : "'" + v + "'";
    }
}
