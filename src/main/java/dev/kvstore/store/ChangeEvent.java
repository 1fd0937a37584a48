package dev.kvstore.store;

import java.util.List;

/**
 * Everything one revision changed, as the change feed delivers it: the changes of one write, or of a whole batch,
 * in the order the write made them, each with the entry before it.
 */
public final class ChangeEvent {

    private final long revision;
    private final List<Change> changes;
    /** Where its frame starts in the log, in the {@link History}'s coordinates; -1 when it is in no local log. */
    final long offset;
    /** About the heap it takes and never less than its frame's bytes: what the history's retention counts. */
    final long weight;
    /**
     * Its frame, for an event in no local log (a cluster replica's, offset -1): what a replica's snapshot writes to
     * keep its history ({@link ReplicaStore#writeHistory}); {@code null} otherwise. Counted in {@link #weight}.
     */
    final byte[] frame;

    ChangeEvent(long revision, List<Change> changes, long offset, long weight) {
        this(revision, changes, offset, weight, null);
    }

    ChangeEvent(long revision, List<Change> changes, long offset, long weight, byte[] frame) {
        this.revision = revision;
        this.changes = List.copyOf(changes);
        this.offset = offset;
        this.weight = weight;
        this.frame = frame;
    }

    public long revision() {
        return revision;
    }

    /** The changes, in the order the write made them; never empty. */
    public List<Change> changes() {
        return changes;
    }

    /** The same revision with only the changes under {@code prefix}, or {@code null} when it has none there. */
    ChangeEvent under(String prefix) {
        if (prefix.isEmpty()) {
            return this;
        }
        int matching = 0;
        for (Change c : changes) {
            if (c.key().startsWith(prefix)) {
                matching++;
            }
        }
        if (matching == changes.size()) {
            return this;
        }
        if (matching == 0) {
            return null;
        }
        return new ChangeEvent(revision, changes.stream().filter(c -> c.key().startsWith(prefix)).toList(), offset,
                weight);
    }

    /** Bytes an event costs besides its frame and the entries before its changes. */
    static final int EVENT_OVERHEAD = 64;
    /** Bytes each change costs besides its key and values: the change and its entries. */
    static final int CHANGE_OVERHEAD = 96;

    /**
     * The weight of an event whose frame takes {@code frameBytes}: its keys and new values (the frame's bytes, or
     * their own when the frame holds them compressed: the heap holds them whole), the entries before each change, and
     * the objects around them. It is never less than the frame, so the events a history of some weight holds always
     * lie within that many bytes at the end of the log.
     */
    static long weigh(List<Change> changes, int frameBytes) {
        long written = 0;
        long previous = 0;
        for (Change c : changes) {
            written += Utf8.encodedLength(c.key()) + (c.current() == null ? 0 : valueBytes(c.current().value()));
            previous += CHANGE_OVERHEAD + (c.previous() == null ? 0 : valueBytes(c.previous().value()));
        }
        return EVENT_OVERHEAD + Math.max(frameBytes, written) + previous;
    }

    private static long valueBytes(Value v) {
        return v instanceof Value.Text t ? Utf8.encodedLength(t.value()) : Frame.NUMBER_BYTES;
    }

    @Override
    public String toString() {
        return "ChangeEvent[revision=" + revision + ", changes=" + changes + "]";
    }
}
