package dev.kvstore.store;

/**
 * The whole state built from a log in log order (recovery's replay, or a snapshot's): the keys
 * ({@link KeyIndex.Builder}, which reads the frames), and the leases ({@link LeaseTable}) and idempotency records
 * ({@link IdempotencyRecords}) that the same pass over the frames rebuilds. The keys' attachments to leases reach
 * {@link #leases} when the keys' state is built ({@code new KeyIndex(keys)} or {@link KeyIndex#replaceWith}): build
 * it before reading the leases.
 */
final class StateBuilder {

    final LeaseTable leases = new LeaseTable();
    final IdempotencyRecords records;
    final KeyIndex.Builder keys;

    StateBuilder(IdempotencyOptions limits) {
        this.records = new IdempotencyRecords(limits);
        this.keys = new KeyIndex.Builder(leases, records);
    }
}
