package dev.kvstore.store;

import java.util.List;

/**
 * The store's change feed: every revision that changed keys, in revision order, each change with the entry before
 * it, from {@link #compactRevision()} on. A reader keeps its own position and reads from it, so a reader that is
 * slow or gone costs the writers nothing; one that falls behind the history the store keeps gets
 * {@link HistoryCompactedException} and must list the keys again, then read from the listing's revision + 1
 * ({@link Page#revision()}).
 *
 * <p>Events appear once they are durable and applied: a reader that sees revision N can read N's values from the
 * store. Safe for any number of threads.
 */
public interface ChangeFeed {

    /** The oldest revision a read can start from: every change from it on is held. */
    long compactRevision();

    /** The last revision published to the feed (revisions that changed nothing included). */
    long revision();

    /**
     * Why nothing before {@link #compactRevision()} is held, in a few words for the 410 answer and health: usually
     * {@code kv.history.retention} (the oldest changes went to keep the history within it); in cluster mode also a
     * snapshot this node loaded without the history before it.
     */
    String floorCause();

    /**
     * The events from revision {@code from} on that change a key under {@code prefix} (empty: every key), each
     * with only its changes under the prefix: at most {@code maxEvents}, and no more than about {@code maxBytes}
     * beyond the first.
     *
     * @throws HistoryCompactedException when {@code from} is below {@link #compactRevision()}
     */
    Read read(long from, String prefix, int maxEvents, long maxBytes);

    /**
     * What {@link #read} found.
     *
     * @param events the events, in revision order
     * @param next   where to read next: every change under the prefix from the requested revision to
     *               {@code next - 1} is in {@code events}, so {@code next - 1} is a position a reader may report
     *               as reached even when {@code events} is empty
     */
    record Read(List<ChangeEvent> events, long next) {
    }

    /**
     * Runs {@code callback} once, on the feed's own thread, as soon as the feed has published revision {@code from}
     * or a later one (at once when it has), or when the feed closes. The callback must return quickly and must not
     * block: it runs for every waiting reader in turn.
     */
    Subscription onRevision(long from, Runnable callback);

    /**
     * Calls {@code callback} once an event from revision {@code from} on has a change under {@code prefix} (or the
     * events from {@code from} on are no longer held), or when the feed closes; as {@link #onRevision}, which is this
     * with the empty prefix. A watcher of a quiet prefix is not woken by every write elsewhere.
     */
    Subscription onChange(long from, String prefix, Runnable callback);

    /** A pending {@link #onRevision} or {@link #onChange} callback. */
    interface Subscription {
        /** The callback will not run (unless it is running already). */
        void cancel();

        /**
         * The first revision not yet known to have no change under the subscription's prefix: at least its
         * {@code from}, moved on as the feed finds revisions without one. A reader woken by it may read from here,
         * skipping what the feed checked already.
         */
        long from();
    }

    /** Whether the store has closed: nothing more will be published. */
    boolean closed();

    Stats stats();

    /**
     * The history at one moment.
     *
     * @param compactRevision the oldest revision a read can start from
     * @param revision        the last revision published
     * @param events          events held
     * @param bytes           their weight: about the heap they take, counted against {@code retentionBytes}
     * @param retentionBytes  the most the history keeps ({@code kv.history.retention})
     * @param logBytes        the bytes of the log that hold these events: what a compaction keeps besides the state
     * @param floorCause      {@link #floorCause()}
     */
    record Stats(long compactRevision, long revision, int events, long bytes, long retentionBytes, long logBytes,
                 String floorCause) {
    }
}
