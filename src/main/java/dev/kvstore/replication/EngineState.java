package dev.kvstore.replication;

import dev.kvstore.cluster.ClusterClient;
import dev.kvstore.cluster.ClusterUnavailableException;
import dev.kvstore.cluster.LogPosition;
import dev.kvstore.cluster.ReplicatedState;
import dev.kvstore.store.ReplicaStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The engine behind Raft's seam: committed commands go to {@link ReplicaStore#apply}, snapshots are the store's
 * compacted log. Queries are not used: a linearizable read passes a read barrier and then reads the replica's index
 * directly, without copying the answer through Ratis. The leader's own duties (lease expiry, keepalives) run while
 * Ratis says this node leads.
 */
final class EngineState implements ReplicatedState {

    private final ReplicaStore replica;
    /** How this node proposes; set once its Raft server runs. */
    private volatile ClusterClient client;

    EngineState(ReplicaStore replica) {
        this.replica = replica;
    }

    void proposeThrough(ClusterClient client) {
        this.client = client;
    }

    @Override
    public byte[] leaderQuery(byte[] request) {
        return LeaseQueries.answer(replica, request);
    }

    @Override
    public void leading(long term) {
        replica.lead(term, command -> {
            ClusterClient c = client;
            if (c == null) {
                throw new ClusterUnavailableException("the node is still starting", null);
            }
            return c.write(command);
        });
    }

    @Override
    public void notLeading() {
        replica.follow();
    }

    @Override
    public List<byte[]> apply(LogPosition position, List<byte[]> commands) {
        return replica.apply(position.term(), position.index(), commands);
    }

    @Override
    public byte[] query(byte[] request) {
        throw new UnsupportedOperationException("reads go to the replica's index after a read barrier");
    }

    @Override
    public LogPosition lastApplied() {
        long index = replica.appliedIndex();
        return index < 0 ? LogPosition.NONE : new LogPosition(replica.appliedTerm(), index);
    }

    @Override
    public LogPosition writeSnapshot(Path target) throws IOException {
        // Ratis calls this on its apply thread, so nothing is applied while the state is written.
        LogPosition at = lastApplied();
        replica.writeSnapshot(target);
        return at;
    }

    @Override
    public void loadSnapshot(Path source, LogPosition position) throws IOException {
        replica.loadSnapshot(source, position.term(), position.index());
    }

    @Override
    public boolean writeHistory(Path target) throws IOException {
        // On Ratis's apply thread, right after writeSnapshot: the history ends at the snapshot's revision.
        replica.writeHistory(target);
        return true;
    }

    @Override
    public void loadSnapshot(Path source, Path history, LogPosition position) throws IOException {
        replica.loadSnapshot(source, history, position.term(), position.index());
    }
}
