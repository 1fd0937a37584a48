package dev.kvstore.store;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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

    /** Applies durable (or committed) decisions to every part, in log order. Single writer. */
    void apply(List<Decision> decisions) {
        index.apply(decisions);
        leases.apply(decisions);
        for (Decision d : decisions) {
            if (d.record() != null) {
                records.insert(d.record());
            }
        }
    }

    /** Takes the frames of a copy of the state. */
    interface FrameSink {
        void put(byte[] frame) throws IOException;
    }

    /**
     * The frames a copy of the state holds after its keys: a LEASE_GRANT frame per live lease, in id order, then,
     * when there are records or some were dropped, the RECORD_FLOOR frame and a RECORD frame per record, oldest
     * first ({@link Compactor} explains why replaying them after the keys rebuilds the state). {@code floor} is
     * the revision counter the copy's REVISION frame holds. The same state gives the same bytes.
     */
    void putLeasesAndRecords(byte magic, long floor, FrameSink out) throws IOException {
        for (Map.Entry<Long, Long> lease : new TreeMap<>(leases.leases()).entrySet()) {
            out.put(Frame.encodeBatch(magic, List.of(Frame.encodeGrantOp(lease.getKey(), lease.getValue())),
                    lease.getKey()));
        }
        IdempotencyRecords.Copy copy = records.copy();
        if (copy.floor() > 0 || !copy.records().isEmpty()) {
            out.put(Frame.encodeBatch(magic, List.of(Frame.encodeRecordFloorOp(copy.floor(), copy.horizon())),
                    Math.max(Math.max(floor, copy.floor()), 1)));
        }
        for (IdempotencyRecord r : copy.records()) {
            out.put(Frame.encodeBatch(magic, List.of(Frame.encodeRecordOp(r)), r.revision()));
        }
    }

    /** Bytes a freshly compacted log would take. */
    long compactedBytes() {
        return index.compactedBytes() + leases.compactedBytes() + records.compactedBytes();
    }
}
