package dev.kvstore.store;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The leases and the keys attached to them: part of the store's state, changed only by applying decided commands
 * (on the writer thread) or by replay, both through the same methods, in log order. Any thread may read it.
 *
 * <p>A lease is granted with a time to live, in milliseconds; its deadline is not state: it belongs to whoever runs
 * expiry ({@link LeaseExpiry}), which a {@link Listener} tells about grants and ends. Attachments follow the keys'
 * entries: a key is attached to the lease its entry names. While a compacted log is replayed, a key may be attached
 * to a lease whose grant comes later in the file, or whose end does: so attachments are kept per lease id whether
 * or not that lease is known yet, and ending a lease ends its attachments.
 */
final class LeaseTable {

    /** Told of every grant and end, after they are applied. */
    interface Listener {
        void granted(long lease, long ttlMillis);

        void ended(long lease);
    }

    private static final Listener NONE = new Listener() {
        @Override
        public void granted(long lease, long ttlMillis) {
        }

        @Override
        public void ended(long lease) {
        }
    };

    /** Each granted lease's time to live. */
    private final Map<Long, Long> ttls = new ConcurrentHashMap<>();
    /** The keys attached to each lease id. */
    private final Map<Long, Set<String>> keys = new ConcurrentHashMap<>();
    /** The lease of each attached key. */
    private final Map<String, Long> leaseOf = new ConcurrentHashMap<>();
    private volatile Listener listener = NONE;

    void listen(Listener l) {
        this.listener = l;
    }

    /** The time to live of {@code lease}, or -1 when it is not granted (or ended). */
    long ttl(long lease) {
        Long ttl = ttls.get(lease);
        return ttl == null ? -1 : ttl;
    }

    /** The granted leases and their times to live. */
    Map<Long, Long> leases() {
        return Map.copyOf(ttls);
    }

    /** The keys attached to {@code lease}, in {@link KeyOrder#CODE_POINTS} order. */
    List<String> keys(long lease) {
        Set<String> set = keys.get(lease);
        if (set == null) {
            return List.of();
        }
        List<String> sorted = new ArrayList<>(set);
        sorted.sort(KeyOrder.CODE_POINTS);
        return sorted;
    }

    /** Lease ids that keys are attached to but that were never granted (or already ended). */
    List<Long> orphans() {
        List<Long> out = new ArrayList<>();
        for (Map.Entry<Long, Set<String>> e : keys.entrySet()) {
            if (!e.getValue().isEmpty() && !ttls.containsKey(e.getKey())) {
                out.add(e.getKey());
            }
        }
        Collections.sort(out);
        return out;
    }

    int size() {
        return ttls.size();
    }

    /** Every attached key with its lease, as they are now. */
    Map<String, Long> attachments() {
        return Collections.unmodifiableMap(leaseOf);
    }

    int attachedKeys() {
        return leaseOf.size();
    }

    void grant(long lease, long ttlMillis) {
        if (ttls.put(lease, ttlMillis) == null) {
            listener.granted(lease, ttlMillis);
        }
    }

    /** Ends {@code lease}: its attachments go (the keys themselves are deleted by the caller) and so does it. */
    void end(long lease) {
        Set<String> attached = keys.remove(lease);
        if (attached != null) {
            for (String key : attached) {
                leaseOf.remove(key, lease);
            }
        }
        if (ttls.remove(lease) != null) {
            listener.ended(lease);
        }
    }

    /** {@code key} now has an entry attached to {@code lease} (0: to none, or deleted). */
    void attach(String key, long lease) {
        if (lease == 0 && leaseOf.isEmpty()) {
            return; // the common case, on replay's path for every key
        }
        Long old = lease == 0 ? leaseOf.remove(key) : leaseOf.put(key, lease);
        if (old != null && old != lease) {
            Set<String> set = keys.get(old);
            if (set != null) {
                set.remove(key);
                if (set.isEmpty() && !ttls.containsKey(old)) {
                    keys.remove(old);
                }
            }
        }
        if (lease != 0) {
            keys.computeIfAbsent(lease, l -> ConcurrentHashMap.newKeySet()).add(key);
        }
    }

    /**
     * Holds {@code other}'s leases and attachments instead of its own (a replica that loaded a snapshot); the
     * listener is not told, the caller reloads it. Single writer; a reader meanwhile may see part of either.
     */
    void replaceWith(LeaseTable other) {
        ttls.clear();
        ttls.putAll(other.ttls);
        keys.clear();
        other.keys.forEach((lease, set) -> {
            Set<String> copy = ConcurrentHashMap.newKeySet();
            copy.addAll(set);
            keys.put(lease, copy);
        });
        leaseOf.clear();
        leaseOf.putAll(other.leaseOf);
    }

    /** Applies what durable decisions did to leases and attachments, in log order. Single writer. */
    void apply(List<Decision> decisions) {
        for (Decision d : decisions) {
            if (d.granted() != null) {
                grant(d.granted().lease(), d.granted().ttlMillis());
            }
            for (Change c : d.changes()) {
                long before = c.previous() == null ? 0 : c.previous().lease();
                long after = c.current() == null ? 0 : c.current().lease();
                if (before != after) {
                    attach(c.key(), after);
                }
            }
            if (d.ended() != 0) {
                end(d.ended());
            }
        }
    }

    /**
     * Bytes the leases take in a freshly compacted log beyond what the index counts for the keys: a LEASE_GRANT
     * frame per lease, and per leased key the difference between a BATCH of one SET_LEASED and a plain SET.
     */
    long compactedBytes() {
        return (long) ttls.size() * (Frame.OVERHEAD_V2 + Frame.BATCH_OP_HEADER + Frame.NUMBER_BYTES)
                + (long) leaseOf.size() * (Frame.BATCH_OP_HEADER + Frame.NUMBER_BYTES);
    }
}
