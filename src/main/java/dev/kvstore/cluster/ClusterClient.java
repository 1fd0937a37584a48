package dev.kvstore.cluster;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * How a node's request handlers reach the group. Every call returns or throws within
 * {@link ClusterConfig#operationTimeout()} plus one {@link ClusterConfig#requestTimeout()}: Ratis's client retries
 * (a new leader answers {@code LeaderNotReadyException} until its first entry commits; a follower answers
 * {@code NotLeaderException} naming the leader) only until then.
 * <p>
 * Calls block the calling thread and are independent of each other; a retried write keeps its call id, so the
 * leader's retry cache applies it once ({@link EntryProposer}).
 */
public final class ClusterClient implements AutoCloseable {

    private static final Message CONFIRM = Message.valueOf(ByteString.copyFrom(new byte[] {
            StateMachineAdapter.CONFIRM}));

    /**
     * Between two attempts at a read index, a leader query or a write after a failure, as Ratis's own retry policy
     * pauses ({@link RatisSettings}).
     */
    static final Duration RETRY_PAUSE = Duration.ofMillis(50);

    /**
     * Entries of this node's writes proposed at the same time ({@link WriteBatcher}). Two: one can be forced and
     * replicated while the next gathers the writes arriving meanwhile. More entries carry fewer writes each, and
     * each entry costs a round of gRPC calls, log appends and hand-offs between threads: with three nodes under 64
     * writers, 2 gave ~11% more writes per second than 4 (4.1 writes per entry instead of 2.7); 1 was no faster.
     */
    private static final int WRITE_ENTRIES_IN_FLIGHT = 2;

    private final RaftClient raft;
    private final StateMachineAdapter local;
    private final int maxCommandBytes;
    private final Duration operationTimeout;
    private final WriteBatcher writes;
    private final ReadIndexRounds reads = new ReadIndexRounds(this::readIndex);

    ClusterClient(RaftClient raft, EntryProposer proposer, StateMachineAdapter local, int maxCommandBytes,
            Duration operationTimeout) {
        this.raft = raft;
        this.local = local;
        this.maxCommandBytes = maxCommandBytes;
        this.operationTimeout = operationTimeout;
        this.writes = new WriteBatcher(proposer::propose, CommandBatch.maxEntryBytes(maxCommandBytes),
                WRITE_ENTRIES_IN_FLIGHT);
    }

    /**
     * Proposes a command; it is sent to the leader (from any node, see {@link EntryProposer}), in one entry with the
     * other writes this node proposes at the same time ({@link WriteBatcher}), and returns the state's result once
     * the entry is committed (forced on a majority) and applied on the leader. The array is sent as it is: do not
     * change it while the call runs.
     *
     * @throws CommandTooLargeException    when the command exceeds {@link ClusterConfig#maxCommandBytes()}
     * @throws ClusterUnavailableException when it could not be committed in time; it may still be, later
     */
    public byte[] write(byte[] command) {
        if (command.length > maxCommandBytes) {
            throw new CommandTooLargeException(command.length, maxCommandBytes);
        }
        return writes.write(command, System.nanoTime() + operationTimeout.toNanos());
    }

    /**
     * A linearizable read: a {@link #readBarrier()}, then a query of this node's own state.
     */
    public byte[] read(byte[] query) {
        readBarrier();
        try {
            return local.query(queryMessage(query)).join().getContent().toByteArray();
        } catch (CompletionException e) {
            throw new ClusterUnavailableException("linearizable read failed: " + e.getCause().getMessage(),
                    e.getCause());
        }
    }

    /**
     * A linearizable read barrier (Raft's ReadIndex): the leader takes its commit index and confirms with a majority,
     * after this call began, that it still leads ({@link LeadershipCheck}); this node then waits until it has applied
     * that far. Barriers that wait at the same time share a request to the leader ({@link ReadIndexRounds}). Once this returns, this node's state reflects every write acknowledged before the call began, so
     * reading the local state directly is linearizable.
     *
     * @return the index this node's state had applied when the barrier passed
     * @throws ClusterUnavailableException when no leader confirmed with a majority, or this node did not catch up,
     *                                     within the operation timeout
     */
    public long readBarrier() {
        final long deadline = System.nanoTime() + operationTimeout.toNanos();
        final long readIndex = reads.readIndex(deadline);
        try {
            return local.awaitApplied(readIndex).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new ClusterUnavailableException("read barrier failed: this node did not apply the log up to the"
                    + " leader's read index " + readIndex + " within " + operationTimeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterUnavailableException("read barrier interrupted", e);
        } catch (ExecutionException e) {
            throw new ClusterUnavailableException("read barrier failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * A read index from the leader. On the leader itself, its own confirmation ({@link
     * StateMachineAdapter#confirmedCommitIndex}), without a request to itself; on another node, a request that
     * Ratis's client sends to the leader, retrying while it looks for it. A leader whose confirmation round failed (it
     * lost its leadership, or no majority answered in time) answers with a failure of the state machine, which Ratis
     * does not retry: this does, until the deadline.
     */
    private long readIndex(long deadline) {
        while (true) {
            try {
                if (local.leads()) {
                    return local.confirmedCommitIndex().join();
                }
                return Long.parseLong(new String(bytes(raft.io().sendReadOnlyNonLinearizable(CONFIRM)),
                        StandardCharsets.US_ASCII));
            } catch (StateMachineException | CompletionException e) {
                if (System.nanoTime() + RETRY_PAUSE.toNanos() >= deadline) {
                    throw e instanceof StateMachineException sme ? unavailable("read barrier", sme)
                            : new ClusterUnavailableException("read barrier failed, this leader did not confirm with"
                            + " a majority in time: " + e.getCause(), e.getCause());
                }
                pause(RETRY_PAUSE, "read barrier");
            } catch (IOException e) {
                throw unavailable("read barrier", e);
            }
        }
    }

    /** Sleeps between two attempts; an interrupt ends the {@code what} with a {@link ClusterUnavailableException}. */
    static void pause(Duration pause, String what) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterUnavailableException(what + " interrupted", e);
        }
    }

    /**
     * A request that the leader answers from its own soft state ({@link ReplicatedState#leaderQuery}), from any
     * node: the leader answers it only after confirming with a majority, after the request arrived, that it still
     * leads. A leader that could not confirm is asked again, until the operation timeout.
     *
     * @throws ClusterUnavailableException when no leader confirmed in time; the request may have been answered
     */
    public byte[] leaderQuery(byte[] request) {
        final long deadline = System.nanoTime() + operationTimeout.toNanos();
        final byte[] message = new byte[request.length + 1];
        message[0] = StateMachineAdapter.LEADER;
        System.arraycopy(request, 0, message, 1, request.length);
        while (true) {
            try {
                return bytes(raft.io().sendReadOnlyNonLinearizable(Message.valueOf(
                        UnsafeByteOperations.unsafeWrap(message))));
            } catch (StateMachineException e) {
                if (System.nanoTime() + RETRY_PAUSE.toNanos() >= deadline) {
                    throw unavailable("leader query", e);
                }
                pause(RETRY_PAUSE, "read barrier");
            } catch (IOException e) {
                throw unavailable("leader query", e);
            }
        }
    }

    /**
     * A stale read: this node's state as it is, without asking anyone; it may miss writes acknowledged elsewhere, and
     * a node cut off from the majority answers from an old state. For callers that ask for it explicitly.
     */
    public byte[] staleRead(byte[] query) {
        try {
            return local.query(queryMessage(query)).join().getContent().toByteArray();
        } catch (CompletionException e) {
            throw new ClusterUnavailableException("stale read failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private static Message queryMessage(byte[] query) {
        final byte[] request = new byte[query.length + 1];
        request[0] = StateMachineAdapter.QUERY;
        System.arraycopy(query, 0, request, 1, query.length);
        return Message.valueOf(UnsafeByteOperations.unsafeWrap(request));
    }

    private static byte[] bytes(RaftClientReply reply) throws IOException {
        if (!reply.isSuccess()) {
            throw reply.getException() != null ? reply.getException() : new IOException("unsuccessful: " + reply);
        }
        return reply.getMessage().getContent().toByteArray();
    }

    static ClusterUnavailableException unavailable(String what, IOException e) {
        if (e instanceof InterruptedIOException) {
            Thread.currentThread().interrupt();
        }
        final String why;
        if (e instanceof StateMachineException) {
            why = "the serving replica's state failed: ";
        } else if (e instanceof AlreadyClosedException) {
            why = "this node is shutting down: ";
        } else {
            why = "no leader with a majority answered in time: ";
        }
        return new ClusterUnavailableException(what + " failed, " + why + e.getMessage(), e);
    }

    @Override
    public void close() throws IOException {
        raft.close();
    }
}
