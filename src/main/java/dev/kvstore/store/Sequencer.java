package dev.kvstore.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The state machine's side of the group commit, on the writer thread: decides each queued command against the
 * index plus the earlier decisions of its group (which are not in the index yet, since their frames are not durable
 * yet), and applies the group's decisions to the index once they are. It is the only thread that changes the index
 * after recovery.
 */
final class Sequencer implements GroupCommitWriter.Stage, StateMachine.State {

    /** Marks a key deleted earlier in the group. */
    private static final Entry DELETED = new Entry(Value.of(""), 0, 0);

    private final StateMachine machine;
    private final KeyIndex index;
    /** Entries written earlier in this group, {@code DELETED} for a delete. */
    private final Map<String, Entry> group = new HashMap<>();
    /** The last revision taken in this group, or 0. */
    private long groupRevision;

    Sequencer(StateMachine machine, KeyIndex index) {
        this.machine = machine;
        this.index = index;
    }

    @Override
    public Entry get(String key) {
        Entry e = group.get(key);
        return e == DELETED ? null : e != null ? e : index.get(key);
    }

    @Override
    public long revision() {
        return groupRevision != 0 ? groupRevision : index.revision();
    }

    @Override
    public byte[] decide(GroupCommitWriter.Pending p) {
        Decision d = machine.decide(this, p.command, p.prepared);
        p.decision = d;
        if (d.writes()) {
            for (Change c : d.changes()) {
                group.put(c.key(), c.isDelete() ? DELETED : c.current());
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
        index.apply(decisions);
        discard();
    }

    @Override
    public void discard() {
        group.clear();
        groupRevision = 0;
    }
}
