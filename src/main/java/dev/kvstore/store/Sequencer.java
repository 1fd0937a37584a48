package dev.kvstore.store;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The state machine's side of the group commit, on the writer thread: decides each queued command against the
 * applied state plus the earlier decisions of its group (which are not applied yet, since their frames are not
 * durable yet), and applies the group's decisions once they are, then publishes their changes to the change feed's
 * {@link History}. It is the only thread that changes the state after recovery.
 *
 * <p>What the group's earlier decisions did is kept aside here: the keys they wrote, the leases they granted and
 * ended, the idempotency records they added and the older ones those drop ({@link IdempotencyRecords.Pending}), so
 * that each command is decided exactly as if the ones before it had been applied.
 */
final class Sequencer implements GroupCommitWriter.Stage, StateMachine.Context {

    /** Marks a key deleted earlier in the group. */
    private static final Entry DELETED = new Entry(Value.of(""), 0, 0);

    private final StateMachine machine;
    private final AppliedState state;
    private final History history;
    /** Where the log's written frames end: the group's frames end there when it is published. */
    private final LongSupplier logEnd;
    /** Entries written earlier in this group, {@code DELETED} for a delete. */
    private final Map<String, Entry> group = new HashMap<>();
    /** Leases granted earlier in this group, with their times to live. */
    private final Map<Long, Long> granted = new HashMap<>();
    /** Leases ended earlier in this group. */
    private final Set<Long> ended = new HashSet<>();
    private final IdempotencyRecords.Pending records;
    /** The last revision taken in this group, or 0. */
    private long groupRevision;

    Sequencer(StateMachine machine, AppliedState state, History history, LongSupplier logEnd) {
        this.machine = machine;
        this.state = state;
        this.history = history;
        this.logEnd = logEnd;
        this.records = state.records.new Pending();
    }

    @Override
    public Entry get(String key) {
        Entry e = group.get(key);
        return e == DELETED ? null : e != null ? e : state.get(key);
    }

    @Override
    public long revision() {
        return groupRevision != 0 ? groupRevision : state.revision();
    }

    @Override
    public long leaseTtl(long lease) {
        if (ended.contains(lease)) {
            return -1;
        }
        Long ttl = granted.get(lease);
        return ttl != null ? ttl : state.leaseTtl(lease);
    }

    /** The applied attachments, and the keys attached in this group; the machine checks each against its entry. */
    @Override
    public Collection<String> leaseKeys(long lease) {
        Set<String> keys = new HashSet<>(state.leaseKeys(lease));
        for (Map.Entry<String, Entry> e : group.entrySet()) {
            if (e.getValue() != DELETED && e.getValue().lease() == lease) {
                keys.add(e.getKey());
            }
        }
        return keys;
    }

    @Override
    public IdempotencyRecord record(String scope, String key) {
        return records.get(scope, key);
    }

    @Override
    public byte[] decide(GroupCommitWriter.Pending p) {
        Decision d = machine.decide(this, p.command, p.prepared);
        p.decision = d;
        if (d.writes()) {
            for (Change c : d.changes()) {
                group.put(c.key(), c.isDelete() ? DELETED : c.current());
            }
            if (d.granted() != null) {
                granted.put(d.granted().lease(), d.granted().ttlMillis());
            }
            if (d.ended() != 0) {
                ended.add(d.ended());
                granted.remove(d.ended());
            }
            if (d.record() != null) {
                records.add(d.record());
            }
            groupRevision = d.revision();
        }
        return d.frame();
    }

    @Override
    public void publish(List<GroupCommitWriter.Pending> written) {
        List<Decision> decisions = new ArrayList<>(written.size());
        for (GroupCommitWriter.Pending p : written) {
            decisions.add(p.decision);
        }
        state.apply(decisions);
        // After the state: a reader who sees a revision in the feed can read its values.
        history.publish(decisions, logEnd.getAsLong());
        discard();
    }

    @Override
    public void discard() {
        group.clear();
        granted.clear();
        ended.clear();
        records.reset();
        groupRevision = 0;
    }
}
