package dev.kvstore.cluster;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.client.RaftClientRpc;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * Proposes one Raft entry to the leader and returns the leader's reply once the entry is committed and applied.
 * <p>
 * An entry keeps one client id and call id over all its attempts, so the leader's retry cache applies it once
 * however often it is sent: to a leader that appended it and then stepped down, and again to the next one, say.
 * On the leader itself, an entry goes straight to its Raft server, without a gRPC call to itself; from another node,
 * in a gRPC call to the leader. The target is the leader this node's own Raft server knows, which learns of a new
 * leader from its first heartbeat.
 */
final class EntryProposer {

    /**
     * Between two looks for a leader while none is known (an election is on: looking costs nothing), and between two
     * attempts at a new leader that is not ready yet (it is once its first entry commits, a round trip later).
     */
    private static final Duration SHORT_PAUSE = Duration.ofMillis(10);

    private final RaftServer server;
    private final RaftServer.Division division;
    private final RaftGroupId groupId;
    private final RaftPeerId self;
    private final RaftClientRpc rpc;
    private final Duration requestTimeout;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    /** Members the rpc knows (it only knew the group it was made with; a member may have been added since). */
    private final Set<RaftPeerId> known = ConcurrentHashMap.newKeySet();

    EntryProposer(RaftServer server, RaftServer.Division division, RaftClientRpc rpc, Duration requestTimeout) {
        this.server = server;
        this.division = division;
        this.groupId = division.getGroup().getGroupId();
        this.self = division.getId();
        this.rpc = rpc;
        this.requestTimeout = requestTimeout;
    }

    /**
     * Proposes {@code entry} until it is applied or {@code deadline} has passed; there is always one attempt, and an
     * attempt may take one request timeout.
     *
     * @param deadline {@link System#nanoTime()} past which no attempt starts: the operation timeout of the entry's
     *                 oldest write, counted from when that write arrived (it may have waited for a free slot)
     * @return the reply's bytes
     * @throws ClusterUnavailableException when no leader applied it in time (it may still be, later), when the
     *                                     leader's state failed, or when this node is shutting down
     */
    byte[] propose(byte[] entry, long deadline) {
        final Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(entry));
        final long callId = callIds.incrementAndGet();
        Throwable failure = null;
        RaftPeerId suggested = null;
        RaftPeerId unreachable = null;
        while (true) {
            final RaftPeerId leader = target(suggested, unreachable);
            suggested = null;
            if (leader != null) {
                try {
                    final RaftClientReply reply = attempt(leader, request(leader, callId, message));
                    if (reply.isSuccess()) {
                        return reply.getMessage().getContent().toByteArray();
                    }
                    unreachable = null;
                    failure = reply.getException() != null ? reply.getException()
                            : new IOException("unsuccessful reply: " + reply);
                } catch (IOException e) {
                    unreachable = leader;
                    failure = e;
                }
                suggested = suggestedLeader(failure, leader);
                if (failure instanceof StateMachineException sme) {
                    throw ClusterClient.unavailable("write", sme);
                }
            }
            if (!division.getInfo().isAlive()) {
                throw ClusterClient.unavailable("write", new AlreadyClosedException(self + " is closing"));
            }
            if (System.nanoTime() >= deadline) {
                throw ClusterClient.unavailable("write", failure instanceof IOException io ? io
                        : new IOException("no leader known by the operation timeout", failure));
            }
            if (suggested == null) {
                ClusterClient.pause(leader == null || failure instanceof LeaderNotReadyException ? SHORT_PAUSE
                        : ClusterClient.RETRY_PAUSE, "write");
            }
        }
    }

    /**
     * The suggested leader, else the one this node's Raft server knows; but when that one did not answer the last
     * attempt (killed, say) while the others elect a new one, another member, as Ratis's own client does: it answers
     * with the leader it knows, if any, and no new connection is made to a dead node every pause.
     */
    private RaftPeerId target(RaftPeerId suggested, RaftPeerId unreachable) {
        if (suggested != null) {
            return suggested;
        }
        final RaftPeerId leader = division.getInfo().getLeaderId();
        if (leader == null || !leader.equals(unreachable)) {
            return leader;
        }
        final List<RaftPeerId> others = division.getRaftConf().getAllPeers().stream().map(RaftPeer::getId)
                .filter(id -> !id.equals(unreachable)).toList();
        return others.isEmpty() ? leader : others.get(ThreadLocalRandom.current().nextInt(others.size()));
    }

    private RaftClientRequest request(RaftPeerId target, long callId, Message message) {
        return RaftClientRequest.newBuilder()
                .setClientId(clientId)
                .setServerId(target)
                .setGroupId(groupId)
                .setCallId(callId)
                .setMessage(message)
                .setType(RaftClientRequest.writeRequestType())
                .setTimeoutMs(requestTimeout.toMillis())
                .build();
    }

    /**
     * One attempt at {@code target}; a reply carrying a failure is returned, a failed exchange thrown. From another
     * node, on a gRPC stream of its own: Ratis's long-lived asynchronous stream fails every entry on it at once when
     * one is refused (by a new leader not ready yet, say) and takes no more until its connection is replaced, which
     * blocks for up to 3 s while the old one drains.
     */
    private RaftClientReply attempt(RaftPeerId target, RaftClientRequest request) throws IOException {
        if (self.equals(target)) {
            return await(server.submitClientRequestAsync(request), target);
        }
        if (known.add(target)) {
            rpc.addRaftPeers(division.getRaftConf().getAllPeers());
        }
        try {
            return rpc.sendRequest(request);
        } catch (IOException e) {
            // As Ratis's own client does: a broken connection is replaced, so that a restarted node is reached.
            rpc.handleException(target, e, false);
            throw e;
        }
    }

    private RaftClientReply await(CompletableFuture<RaftClientReply> reply, RaftPeerId target) throws IOException {
        try {
            return reply.get(requestTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + target);
        } catch (TimeoutException e) {
            // A later attempt with the same ids joins this one in the leader's retry cache if it is still pending.
            throw new TimeoutIOException(target + " did not answer within " + requestTimeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    /** The leader named by a NotLeaderException, when it names another one than {@code target}. */
    private static RaftPeerId suggestedLeader(Throwable failure, RaftPeerId target) {
        if (failure instanceof NotLeaderException nle && nle.getSuggestedLeader() != null
                && !nle.getSuggestedLeader().getId().equals(target)) {
            return nle.getSuggestedLeader().getId();
        }
        return null;
    }
}
