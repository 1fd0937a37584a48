package dev.kvstore.store;

import java.util.Collection;

/**
 * The whole applied state, as the {@link StateMachine} decides against it: the keys ({@link KeyIndex}), the leases
 * ({@link LeaseTable}) and the idempotency records ({@link IdempotencyRecords}). Each part is applied in log order on
 * the writer thread, after the frames are durable.
 */
final class AppliedState implements StateMachine.Context {

    final KeyIndex index;
    final LeaseTable leases;
    final IdempotencyRecords records;

    AppliedState(KeyIndex index, LeaseTable leases, IdempotencyRecords records) {
        this.index = index;
        this.leases = leases;
        this.records = records;
    }

    @Override
    public Entry get(String key) {
        return index.get(key);
    }

    @Override
    public long revision() {
        return index.revision();
    }

    @Override
    public long leaseTtl(long lease) {
        return leases.ttl(lease);
    }

    @Override
    public Collection<String> leaseKeys(long lease) {
        return leases.keys(lease);
    }

    @Override
    public IdempotencyRecord record(String scope, String key) {
        return records.get(scope, key);
    }

    /** Bytes a freshly compacted log would take. */
    long compactedBytes() {
        return index.compactedBytes() + leases.compactedBytes() + records.compactedBytes();
    }
}
