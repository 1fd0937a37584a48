package dev.kvstore.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.StaleReadException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ratis's view of a {@link ReplicatedState}: committed entries go to {@link ReplicatedState#apply} in log order,
 * reads to {@link ReplicatedState#query}, snapshots to and from {@link SnapshotFiles}.
 * <p>
 * Nothing here throws into Ratis from {@code applyTransaction}: Ratis would shut the server down. When the state
 * throws (it cannot follow the log any more), this replica <em>halts</em>: the caller's future fails, every later
 * entry is refused without touching the state, no snapshot is taken of the possibly half-applied state, and
 * {@code onHalt} is told so that the node can close itself; a restart rebuilds the state from the last snapshot and
 * the log.
 */
final class StateMachineAdapter extends BaseStateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(StateMachineAdapter.class);

    /** First byte of a read-only request: the rest is a query for the state. */
    static final byte QUERY = 1;
    /**
     * First byte of a read-only request to the leader: confirm leadership with a majority ({@link LeadershipCheck})
     * and answer with the commit index taken before the confirmation, a read index for the asking node.
     */
    static final byte CONFIRM = 2;
    /** First byte of a stale read from the leader's {@link LeadershipCheck}: answer with this member's term. */
    static final byte TERM = 3;
    /**
     * First byte of a request to the leader's {@link ReplicatedState#leaderQuery}: answered once leadership is
     * confirmed with a majority after the request arrived and the log is applied up to the commit index of then.
     */
    static final byte LEADER = 4;

    private final ReplicatedState state;
    private final SnapshotFiles snapshots = new SnapshotFiles();
    private final int maxCommandBytes;
    private final long snapshotBytes;
    private final Supplier<CompletableFuture<?>> requestSnapshot;
    private final Consumer<Throwable> onHalt;

    private final AtomicReference<Throwable> halted = new AtomicReference<>();
    /** Callers waiting until the applied index reaches a read index, by that index. */
    private final java.util.NavigableMap<Long, CompletableFuture<Long>> appliedWaiters =
            new java.util.concurrent.ConcurrentSkipListMap<>();
    private volatile LeadershipCheck leadership;
    private final AtomicLong bytesSinceSnapshot = new AtomicLong();
    private final AtomicBoolean snapshotRequested = new AtomicBoolean();

    /**
     * @param requestSnapshot asks the server for a snapshot, used when the commands applied since the last one
     *                        exceed {@code snapshotBytes} (Ratis itself only counts entries)
     * @param onHalt          told once when this replica stops applying
     */
    StateMachineAdapter(ReplicatedState state, int maxCommandBytes, long snapshotBytes,
                        Supplier<CompletableFuture<?>> requestSnapshot, Consumer<Throwable> onHalt) {
        this.state = state;
        this.maxCommandBytes = maxCommandBytes;
        this.snapshotBytes = snapshotBytes;
        this.requestSnapshot = requestSnapshot;
        this.onHalt = onHalt;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        getLifeCycle().startAndTransition(() -> {
            super.initialize(server, groupId, raftStorage);
            snapshots.init(raftStorage);
            loadNewerSnapshot();
        });
    }

    /** Ratis pauses the state machine before it moves a snapshot installed from the leader into place. */
    @Override
    public void pause() {
        getLifeCycle().transition(LifeCycle.State.PAUSING);
        getLifeCycle().transition(LifeCycle.State.PAUSED);
    }

    /** After a snapshot was installed from the leader: load it. */
    @Override
    public void reinitialize() throws IOException {
        loadNewerSnapshot();
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    /**
     * Loads the newest snapshot when it is ahead of what the state holds (a state that keeps its own durable image
     * may be ahead of every snapshot; Ratis then replays the log from the state's own position).
     */
    private void loadNewerSnapshot() throws IOException {
        try {
            loadNewerSnapshotOnly();
        } finally {
            signalApplied(getLastAppliedTermIndex() == null ? -1 : getLastAppliedTermIndex().getIndex());
        }
    }

    private void loadNewerSnapshotOnly() throws IOException {
        final LogPosition current = state.lastApplied();
        final SingleFileSnapshotInfo latest = snapshots.latest();
        if (latest != null && latest.getIndex() > current.index()) {
            SnapshotFiles.verify(latest);
            final LogPosition at = new LogPosition(latest.getTerm(), latest.getIndex());
            state.loadSnapshot(latest.getFile().getPath(), snapshots.historyOf(latest), at);
            LOG.info("loaded snapshot {} at {}", latest.getFile().getPath(), at);
        }
        setLastAppliedTermIndex(toTermIndex(state.lastApplied()));
        bytesSinceSnapshot.set(0);
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return snapshots.storage();
    }

    /** The newest snapshot with the history kept beside it, so that the leader sends both to a follower. */
    @Override
    public SnapshotInfo getLatestSnapshot() {
        final SingleFileSnapshotInfo latest = snapshots.newest();
        return latest == null ? null : snapshots.info(latest);
    }

    /** Refuses oversized commands before they are appended: Raft's entry buffers are sized for the largest one. */
    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        final TransactionContext trx = super.startTransaction(request);
        final int size = request.getMessage().getContent().size();
        if (size > CommandBatch.maxEntryBytes(maxCommandBytes)) {
            trx.setException(new CommandTooLargeException(size, CommandBatch.maxEntryBytes(maxCommandBytes)));
        }
        return trx;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        final LogEntryProto entry = trx.getLogEntry();
        final Throwable cause = halted.get();
        if (cause != null) {
            return CompletableFuture.failedFuture(new ReplicaHaltedException(entry.getIndex(), cause));
        }
        final LogPosition position = new LogPosition(entry.getTerm(), entry.getIndex());
        final byte[] result;
        try {
            result = CommandBatch.encode(state.apply(position, commands(entry)));
        } catch (Throwable t) {
            halt(position, t);
            return CompletableFuture.failedFuture(new ReplicaHaltedException(entry.getIndex(), t));
        }
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        countTowardsSnapshot(entry.getSerializedSize());
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(result)));
    }

    /**
     * The commands in a committed entry. An entry that is not a well-formed batch (no proposer of ours writes one) is
     * applied with no commands, on every replica alike: the position advances, and its proposer gets no results.
     */
    private static List<byte[]> commands(LogEntryProto entry) {
        try {
            return CommandBatch.decode(entry.getStateMachineLogEntry().getLogData().toByteArray());
        } catch (IllegalArgumentException e) {
            LOG.error("the entry at index {} is not a command batch; applied as no command: {}", entry.getIndex(),
                    e.getMessage());
            return List.of();
        }
    }

    /** Every applied index, configuration entries included (Ratis reports those here), wakes the readers waiting. */
    @Override
    protected boolean updateLastAppliedTermIndex(TermIndex newTI) {
        final boolean changed = super.updateLastAppliedTermIndex(newTI);
        signalApplied(newTI.getIndex());
        return changed;
    }

    private void signalApplied(long applied) {
        while (!appliedWaiters.isEmpty()) {
            final java.util.Map.Entry<Long, CompletableFuture<Long>> first = appliedWaiters.firstEntry();
            if (first == null || first.getKey() > applied) {
                return;
            }
            if (appliedWaiters.remove(first.getKey(), first.getValue())) {
                first.getValue().complete(applied);
            }
        }
    }

    /** Completes with the applied index once it reaches {@code index}: at once when it has. */
    CompletableFuture<Long> awaitApplied(long index) {
        final long applied = getLastAppliedTermIndex().getIndex();
        if (applied >= index) {
            return CompletableFuture.completedFuture(applied);
        }
        final CompletableFuture<Long> waiter = appliedWaiters.computeIfAbsent(index, i -> new CompletableFuture<>());
        // The index may have been reached between the check and the registration.
        signalApplied(getLastAppliedTermIndex().getIndex());
        return waiter;
    }

    /** The leader's confirmation of reads; set once the server runs. */
    void useLeadershipCheck(LeadershipCheck check) {
        this.leadership = check;
    }

    private void halt(LogPosition position, Throwable cause) {
        if (halted.compareAndSet(null, cause)) {
            LOG.error("this replica stops applying the log: the state failed to apply the entry at {}; it "
                    + "takes no snapshot and must be restarted to rebuild its state", position, cause);
            onHalt.accept(cause);
        }
    }

    private void countTowardsSnapshot(int entryBytes) {
        if (bytesSinceSnapshot.addAndGet(entryBytes) >= snapshotBytes && snapshotRequested.compareAndSet(false, true)) {
            requestSnapshot.get().whenComplete((reply, error) -> snapshotRequested.set(false));
        }
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        final Throwable cause = halted.get();
        if (cause != null) {
            return CompletableFuture.failedFuture(new ReplicaHaltedException(getLastAppliedTermIndex().getIndex(),
                    cause));
        }
        final ByteString content = request.getContent();
        if (content.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("empty read request"));
        }
        try {
            if (content.byteAt(0) == CONFIRM) {
                return confirmedReadIndex();
            }
            if (content.byteAt(0) == LEADER) {
                return leaderQuery(content.substring(1).toByteArray());
            }
            if (content.byteAt(0) == TERM) {
                return CompletableFuture.completedFuture(ascii(division().getInfo().getCurrentTerm()));
            }
            final byte[] answer = state.query(content.substring(1).toByteArray());
            return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(answer)));
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * On the leader (Ratis checked that it leads and committed an entry of its term): the commit index now, once a
     * majority confirmed after this moment that it still leads. Every write acknowledged before the read was asked
     * for is at or below it.
     */
    private CompletableFuture<Message> confirmedReadIndex() {
        return confirmedCommitIndex().thenApply(StateMachineAdapter::ascii);
    }

    /**
     * On the leader: {@link ReplicatedState#leaderQuery}, once a majority confirmed after this moment that this node
     * still leads in its term, and this node applied what was committed before the confirmation began.
     */
    private CompletableFuture<Message> leaderQuery(byte[] request) {
        return confirmedCommitIndex().thenCompose(this::awaitApplied).thenApply(applied -> {
            try {
                return Message.valueOf(UnsafeByteOperations.unsafeWrap(state.leaderQuery(request)));
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
    }

    /**
     * The commit index as this leader knows it now, completed once a majority confirmed after this moment that this
     * node still leads in its term; failed with {@link NotLeaderException} otherwise.
     */
    CompletableFuture<Long> confirmedCommitIndex() {
        final LeadershipCheck check = leadership;
        if (check == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("the server is still starting"));
        }
        final RaftServer.Division division = division();
        final long term = division.getInfo().getCurrentTerm();
        if (!division.getInfo().isLeader() || !division.getInfo().isLeaderReady()) {
            return CompletableFuture.failedFuture(new NotLeaderException(division.getMemberId(), null, List.of()));
        }
        // Taken after the request arrived, and at least every write committed up to then (this leader committed
        // an entry of its term, so it knows them all), if the term is still this leader's after the round.
        final long commitIndex = division.getRaftLog().getLastCommittedIndex();
        return check.confirm().thenApply(confirmedTerm -> {
            if (confirmedTerm != term) {
                throw new java.util.concurrent.CompletionException(new NotLeaderException(division.getMemberId(),
                        null, List.of()));
            }
            return commitIndex;
        });
    }

    /** Whether this node leads now (it may stop at any moment: {@link #confirmedCommitIndex} checks again). */
    boolean leads() {
        return division().getInfo().isLeader();
    }

    /** The leader applied its term's first entry: leader-only duties of the state start. */
    @Override
    public void notifyLeaderReady() {
        if (halted.get() == null) {
            state.leading(division().getInfo().getCurrentTerm());
        }
    }

    @Override
    public void notifyNotLeader(java.util.Collection<TransactionContext> pendingEntries) {
        state.notLeading();
    }

    private RaftServer.Division division() {
        try {
            return getServer().join().getDivision(getGroupId());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Message ascii(long value) {
        return Message.valueOf(UnsafeByteOperations.unsafeWrap(Long.toString(value).getBytes(StandardCharsets.US_ASCII)));
    }

    /**
     * Ratis has already checked that this server committed {@code minIndex}; {@link BaseStateMachine}'s version
     * would then wait on a future that its {@code updateLastAppliedTermIndex} never completes, so answer or refuse
     * here.
     */
    @Override
    public CompletableFuture<Message> queryStale(Message request, long minIndex) {
        if (!request.getContent().isEmpty() && request.getContent().byteAt(0) == TERM) {
            return query(request);
        }
        if (state.lastApplied().index() < minIndex) {
            return CompletableFuture.failedFuture(new StaleReadException("applied index "
                    + state.lastApplied().index() + " < " + minIndex));
        }
        return query(request);
    }

    /**
     * Writes the state as of its last applied command. Runs on Ratis's apply thread, so no command is applied
     * meanwhile; Ratis may purge the log up to the returned index once this returns.
     */
    @Override
    public long takeSnapshot() throws IOException {
        final Throwable cause = halted.get();
        if (cause != null) {
            throw new IOException("no snapshot: this replica halted", cause);
        }
        final LogPosition applied = state.lastApplied();
        if (applied.index() < 0) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        final SingleFileSnapshotInfo latest = snapshots.newest();
        if (latest != null && latest.getIndex() >= applied.index()) {
            return latest.getIndex();
        }
        final SingleFileSnapshotInfo written = snapshots.write(state::writeSnapshot, state::writeHistory);
        bytesSinceSnapshot.set(0);
        LOG.info("took snapshot {} at index {}", written.getFile().getPath(), written.getIndex());
        return written.getIndex();
    }

    @Override
    public void close() throws IOException {
        getLifeCycle().checkStateAndClose();
    }

    /** The cause when this replica halted, else null. */
    Throwable haltCause() {
        return halted.get();
    }

    private static TermIndex toTermIndex(LogPosition position) {
        return TermIndex.valueOf(position.term(), position.index());
    }
}
