package dev.kvstore.store;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything a store's state holds, as comparable values: every entry (with its lease), the revision, the leases
 * with their times to live and keys, and the idempotency records with their floor and horizon.
 */
record FullState(Map<String, Entry> entries, long revision, Map<Long, Long> leases, Map<Long, List<String>> keys,
                 IdempotencyRecords.Copy records) {

    static FullState of(WalKeyValueStore store) {
        Map<String, Entry> entries = new TreeMap<>();
        for (Map.Entry<String, Entry> e : store.list("", null, Integer.MAX_VALUE - 1).entries()) {
            entries.put(e.getKey(), e.getValue());
        }
        AppliedState s = store.state();
        Map<Long, List<String>> keys = new TreeMap<>();
        for (long lease : s.leases.leases().keySet()) {
            keys.put(lease, s.leases.keys(lease));
        }
        return new FullState(entries, store.revision(), new TreeMap<>(s.leases.leases()), keys, s.records.copy());
    }
}
