package dev.kvstore.cluster;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The seam between Raft and the store: a state that changes only by applying committed commands in log order.
 * <p>
 * Every replica applies the same commands in the same order, so {@link #apply} must be a deterministic function of
 * (state, command): no clock, no randomness, no local configuration that may differ between nodes. Anything
 * time-based (a TTL, a deadline) is decided by the node that builds the command, before it is appended, and travels
 * inside the command's bytes.
 * <p>
 * Ratis calls {@link #apply} from one thread, in log order; {@link #query} may run concurrently with it, so an
 * implementation keeps reads consistent with its own locking. {@link #writeSnapshot} and {@link #loadSnapshot} are
 * never called concurrently with {@link #apply}.
 */
public interface ReplicatedState {

    /**
     * Applies the commands of one committed entry (the writes one node proposed together), in order, each against
     * the state the ones before it left, and moves {@link #lastApplied()} to {@code position}.
     * <p>
     * A command that the state refuses (a failed precondition, a malformed command) is still applied: the refusal
     * is a result, encoded in the returned bytes, and the position advances (also for an entry with no commands).
     * Throw only when this replica cannot follow the log any more (its disk failed, say): the adapter then stops
     * applying on this node rather than let it diverge, and fails the caller's future instead of throwing into Ratis.
     *
     * @param position the committed entry's term and index; indexes arrive in increasing order
     * @param commands the commands as the clients sent them
     * @return one result per command, in the same order, each sent back to the client that proposed it
     */
    List<byte[]> apply(LogPosition position, List<byte[]> commands) throws Exception;

    /**
     * Answers a read-only request against the current state. Linearizable when the caller went through a ReadIndex
     * first ({@link ClusterClient#read}); whatever this replica has applied otherwise.
     */
    byte[] query(byte[] request) throws Exception;

    /**
     * Answers a request only the leader can: one about its soft state (a lease's deadline, say). Called on the leader
     * once it confirmed with a majority, after the request arrived, that it still leads, and applied every entry
     * committed before; so a leader elected later was elected after the request arrived.
     */
    default byte[] leaderQuery(byte[] request) throws Exception {
        throw new UnsupportedOperationException("this state answers no leader query");
    }

    /**
     * This node leads in {@code term} and has applied every entry before the term's first one (Ratis's
     * "leader ready"). Called on Ratis's apply thread: return quickly, and do not wait for the log from here.
     */
    default void leading(long term) {
    }

    /** This node stopped leading (it stepped down, or is shutting down). Return quickly. */
    default void notLeading() {
    }

    /**
     * The position of the last command the state reflects; {@link LogPosition#NONE} for an empty state. After a
     * restart this is what the state holds durably (a state kept only in memory starts at {@code NONE}, and is then
     * filled from the latest snapshot and the log).
     */
    LogPosition lastApplied();

    /**
     * Writes the whole state, as of {@link #lastApplied()}, to {@code target} (a new file). The caller forces it,
     * moves it into place and records its digest; the state only writes the bytes.
     *
     * @return the position the written state reflects
     */
    LogPosition writeSnapshot(Path target) throws IOException;

    /**
     * Replaces the whole state with the one in {@code source}, written by {@link #writeSnapshot} on this or another
     * replica, as of {@code position}. Called at start and when the leader installs a snapshot on this node.
     */
    void loadSnapshot(Path source, LogPosition position) throws IOException;

    /**
     * Writes what this node keeps beside a snapshot, at the moment {@link #writeSnapshot} wrote it, to
     * {@code target} (a new file): per-node state that is not part of the replicated state and so not of the
     * snapshot, which is the same on every replica (the store's change-feed history). The caller forces it, keeps
     * it with the snapshot and sends it along when the leader installs the snapshot on a follower.
     *
     * @return false when there is nothing to keep (no file is then kept)
     */
    default boolean writeHistory(Path target) throws IOException {
        return false;
    }

    /**
     * As {@link #loadSnapshot(Path, LogPosition)}, with the file {@link #writeHistory} wrote beside the snapshot, or
     * {@code null} when the snapshot has none.
     */
    default void loadSnapshot(Path source, Path history, LogPosition position) throws IOException {
        loadSnapshot(source, position);
    }
}
