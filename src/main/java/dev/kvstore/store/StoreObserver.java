package dev.kvstore.store;

/** Hooks for metrics. Called on hot paths: implementations must be fast and must not throw. */
public interface StoreObserver {

    StoreObserver NONE = new StoreObserver() {
    };

    enum Operation {
        GET, SET, DELETE, INCREMENT, BATCH, LIST, LEASE;

        /** The operation a write command counts as (a lease command of any kind counts as {@code LEASE}). */
        public static Operation of(Command command) {
            if (command instanceof Command.Put) {
                return SET;
            }
            if (command instanceof Command.Delete) {
                return DELETE;
            }
            if (command instanceof Command.Increment) {
                return INCREMENT;
            }
            if (command instanceof Command.Batch) {
                return BATCH;
            }
            return LEASE;
        }
    }

    /** An operation finished; {@code outcome} is e.g. {@code hit}, {@code miss}, {@code created}, {@code failed}. */
    default void onOperation(Operation operation, String outcome) {
    }

    /** A group of writes went to the log in one write call. */
    default void onBatch(int writes, int bytes) {
    }

    /** A {@code force} of the log finished (successfully or not) after {@code nanos}. */
    default void onForce(long nanos, boolean succeeded) {
    }

    /** A compaction ended, completed or failed. Called on the compaction's thread. */
    default void onCompaction(CompactionResult result) {
    }

    /**
     * A lease expired, {@code latenessNanos} after its deadline (from the deadline to the moment its keys were
     * deleted). Called on the expiry thread.
     */
    default void onLeaseExpired(long latenessNanos) {
    }
}
