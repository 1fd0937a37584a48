package dev.kvstore.cluster;

/**
 * A position in the replicated log: the term and index of an entry. {@link #NONE} is the position before the first
 * entry, the position of a state that has applied nothing.
 */
public record LogPosition(long term, long index) implements Comparable<LogPosition> {

    /** Nothing applied yet (Ratis's initial term-index). */
    public static final LogPosition NONE = new LogPosition(0, -1);

    public LogPosition {
        if (term < 0 || index < -1) {
            throw new IllegalArgumentException("invalid log position: term " + term + ", index " + index);
        }
    }

    @Override
    public int compareTo(LogPosition other) {
        final int byTerm = Long.compare(term, other.term);
        return byTerm != 0 ? byTerm : Long.compare(index, other.index);
    }

    @Override
    public String toString() {
        return "(t" + term + ", i" + index + ")";
    }
}
