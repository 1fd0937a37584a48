package dev.kvstore.cluster;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;
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
 * leader's retry cache applies it once.
 */
public final class ClusterClient implements AutoCloseable {

    private static final Message BARRIER = Message.valueOf(ByteString.copyFrom(new byte[] {
            StateMachineAdapter.BARRIER}));

    private final RaftClient raft;
    private final RaftPeerId self;
    private final StateMachineAdapter local;
    private final int maxCommandBytes;

    ClusterClient(RaftClient raft, RaftPeerId self, StateMachineAdapter local, int maxCommandBytes) {
        this.raft = raft;
        this.self = self;
        this.local = local;
        this.maxCommandBytes = maxCommandBytes;
    }

    /**
     * Proposes a command; it is sent to the leader (from any node) and returns the state's result once the command
     * is committed (forced on a majority) and applied on the leader. The array is sent as it is: do not change it
     * while the call runs.
     *
     * @throws CommandTooLargeException    when the command exceeds {@link ClusterConfig#maxCommandBytes()}
     * @throws ClusterUnavailableException when it could not be committed in time; it may still be, later
     */
    public byte[] write(byte[] command) {
        if (command.length > maxCommandBytes) {
            throw new CommandTooLargeException(command.length, maxCommandBytes);
        }
        try {
            return bytes(raft.io().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(command))));
        } catch (IOException e) {
            throw unavailable("write", e);
        }
    }

    /**
     * A linearizable read: this node asks the leader for its commit index (ReadIndex; the leader confirms it still
     * leads with a round of heartbeats), waits until it has applied that far, then queries its own state.
     */
    public byte[] read(byte[] query) {
        try {
            return bytes(raft.io().sendReadOnly(queryMessage(query), self));
        } catch (IOException e) {
            throw unavailable("linearizable read", e);
        }
    }

    /**
     * A linearizable read barrier: once this returns, this node's state reflects every write acknowledged before
     * the call began, so reading the local state directly is linearizable.
     *
     * @return the index this node's state had applied when the barrier passed
     */
    public long readBarrier() {
        try {
            return Long.parseLong(new String(bytes(raft.io().sendReadOnly(BARRIER, self)), StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw unavailable("read barrier", e);
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

    private static ClusterUnavailableException unavailable(String what, IOException e) {
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
