package dev.kvstore.cluster;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.protocol.exceptions.SetConfigurationException;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of the Raft group: its Ratis server (log and snapshots under {@code <data-dir>/raft}) over a
 * {@link ReplicatedState}, a {@link ClusterClient} for the requests this node serves, its {@link ClusterStatus} and
 * membership changes.
 */
public final class ClusterNode implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);
    /** A membership change waits for a new member to catch up, which may mean a large snapshot. */
    private static final Duration MEMBERSHIP_TIMEOUT = Duration.ofMinutes(2);

    private final ClusterConfig config;
    private final RaftGroupId groupId;
    private final Parameters parameters;
    private final RaftPeerId selfId;
    private final StateMachineAdapter adapter;
    private final RaftServer server;
    private final RaftServer.Division division;
    private final long commitIndexAtStart;
    private final ClusterClient client;
    private final RaftClient adminClient;
    private final RaftClient leadershipClient;
    private final LeadershipCheck leadership;
    private final ClientId localClientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Void> closeDone = new CompletableFuture<>();

    private ClusterNode(ClusterConfig config, ReplicatedState state) throws IOException {
        this.config = config;
        this.groupId = RatisSettings.groupId(config.groupName());
        this.selfId = RaftPeerId.valueOf(config.nodeId());
        this.parameters = RatisSettings.parameters(config.tls());
        // Asked from Ratis's apply thread: hand the request to another thread rather than call into the server there.
        this.adapter = new StateMachineAdapter(state, config.maxCommandBytes(), config.snapshotBytes(),
                () -> CompletableFuture.supplyAsync(() -> requestSnapshot(1)).thenCompose(f -> f),
                this::closeAfterHalt);
        final RaftGroup initial = config.join() ? RaftGroup.valueOf(groupId)
                : RatisSettings.group(config, config.members());
        this.server = RaftServer.newBuilder()
                .setServerId(selfId)
                .setGroup(initial)
                .setProperties(RatisSettings.server(config))
                .setParameters(parameters)
                .setStateMachine(adapter)
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        try {
            server.start();
            this.division = server.getDivision(groupId);
            this.commitIndexAtStart = division.getRaftLog().getLastCommittedIndex();
            final RaftGroup known = knownGroup();
            final RaftClient raft = newClient(known, config.operationTimeout(), config.requestTimeout());
            this.client = new ClusterClient(raft, new EntryProposer(server, division, raft.getClientRpc(),
                    config.requestTimeout()), adapter, config.maxCommandBytes(),
                    config.operationTimeout());
            this.adminClient = newClient(known, MEMBERSHIP_TIMEOUT, MEMBERSHIP_TIMEOUT);
            // One attempt per term query: a member that does not answer in time simply does not count.
            this.leadershipClient = RaftClient.newBuilder().setRaftGroup(known)
                    .setProperties(RatisSettings.client(config.requestTimeout(), config.maxCommandBytes()))
                    .setParameters(parameters)
                    .setRetryPolicy(org.apache.ratis.retry.RetryPolicies.noRetry()).build();
            this.leadership = new LeadershipCheck(division, leadershipClient, config.requestTimeout());
            adapter.useLeadershipCheck(leadership);
        } catch (IOException | RuntimeException e) {
            server.close();
            // Ratis reports a state machine that failed to initialize (a damaged snapshot, say) wrapped.
            if (e instanceof CompletionException && e.getCause() instanceof IOException cause) {
                throw cause;
            }
            throw e;
        }
        LOG.info("cluster node {} started at {} in group {} ({}), storage {}, {}", config.nodeId(),
                config.self().address(), config.groupName(), groupId, config.raftDir(),
                config.tls() == null ? "plain text" : "mutual TLS, " + config.tls().describe());
    }

    /** Starts this node's Raft server: it recovers its log and snapshot, then joins or waits for an election. */
    public static ClusterNode start(ClusterConfig config, ReplicatedState state) throws IOException {
        return new ClusterNode(config, state);
    }

    public ClusterClient client() {
        return client;
    }

    public String nodeId() {
        return config.nodeId();
    }

    public ClusterStatus status() {
        final DivisionInfo info = division.getInfo();
        final boolean alive = info.isAlive() && !closed.get();
        final RaftPeerId leader = alive ? info.getLeaderId() : null;
        final RaftConfiguration conf = division.getRaftConf();
        final List<ClusterStatus.Member> members = new ArrayList<>();
        for (RaftPeer peer : conf.getAllPeers(RaftPeerRole.FOLLOWER)) {
            members.add(new ClusterStatus.Member(peer.getId().toString(), peer.getAddress(),
                    roleOf(peer.getId(), leader, alive ? info.getCurrentRole() : null, false)));
        }
        for (RaftPeer peer : conf.getAllPeers(RaftPeerRole.LISTENER)) {
            members.add(new ClusterStatus.Member(peer.getId().toString(), peer.getAddress(),
                    roleOf(peer.getId(), leader, alive ? info.getCurrentRole() : null, true)));
        }
        return new ClusterStatus(config.nodeId(), leader == null ? null : leader.toString(), info.getCurrentTerm(),
                members, division.getRaftLog().getLastCommittedIndex(), info.getLastAppliedIndex());
    }

    private ClusterStatus.Role roleOf(RaftPeerId id, RaftPeerId leader, RaftPeerRole ownRole, boolean listener) {
        if (id.equals(selfId)) {
            if (ownRole == null) {
                return ClusterStatus.Role.STOPPED;
            }
            return switch (ownRole) {
                case LEADER -> ClusterStatus.Role.LEADER;
                case CANDIDATE -> ClusterStatus.Role.CANDIDATE;
                case LISTENER -> ClusterStatus.Role.LISTENER;
                default -> ClusterStatus.Role.FOLLOWER;
            };
        }
        if (id.equals(leader)) {
            return ClusterStatus.Role.LEADER;
        }
        return listener ? ClusterStatus.Role.LISTENER : ClusterStatus.Role.FOLLOWER;
    }

    /**
     * Ready to serve: a leader is known and this node has applied everything that was committed when it started,
     * so it does not answer from a state older than the one it had before a restart.
     */
    public boolean isReady() {
        final DivisionInfo info = division.getInfo();
        return info.isAlive() && !closed.get() && adapter.haltCause() == null && info.getLeaderId() != null
                && info.getLastAppliedIndex() >= commitIndexAtStart;
    }

    /** Why this replica stopped applying the log, or null while it applies. */
    public Throwable haltCause() {
        return adapter.haltCause();
    }

    /** The members of the configuration this node knows. */
    public List<ClusterMember> members() {
        return division.getRaftConf().getAllPeers(RaftPeerRole.FOLLOWER).stream().map(RatisSettings::member)
                .toList();
    }

    /**
     * Adds a member; returns once the new configuration is committed, which the leader does only after the new
     * member caught up (from a snapshot when the log it needs was purged). Start the new node with
     * {@link ClusterConfig#join()} first.
     */
    public void addMember(ClusterMember member) {
        changeMembers(SetConfigurationRequest.Arguments.newBuilder()
                .setMode(SetConfigurationRequest.Mode.ADD)
                .setServersInNewConf(List.of(RatisSettings.peer(member)))
                .build(), "add " + member);
    }

    /**
     * Removes a member (a dead one included), if the configuration is still the one this node knows; a removed
     * node that is still running is told to shut down by the leader.
     */
    public void removeMember(String id) {
        final Collection<RaftPeer> current = division.getRaftConf().getAllPeers(RaftPeerRole.FOLLOWER);
        final List<RaftPeer> remaining = current.stream().filter(p -> !p.getId().toString().equals(id)).toList();
        if (remaining.size() == current.size()) {
            throw new IllegalArgumentException("'" + id + "' is not a member of the cluster " + members());
        }
        changeMembers(SetConfigurationRequest.Arguments.newBuilder()
                .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
                .setServersInCurrentConf(List.copyOf(current))
                .setServersInNewConf(remaining)
                .build(), "remove " + id);
    }

    private void changeMembers(SetConfigurationRequest.Arguments arguments, String what) {
        try {
            final RaftClientReply reply = adminClient.admin().setConfiguration(arguments);
            if (!reply.isSuccess()) {
                throw new ClusterUnavailableException("could not " + what + ": " + reply.getException(),
                        reply.getException());
            }
            LOG.info("cluster membership: {} done, members now {}", what, members());
        } catch (SetConfigurationException e) {
            throw new IllegalStateException("could not " + what + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ClusterUnavailableException("could not " + what + " within " + MEMBERSHIP_TIMEOUT
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * Takes a snapshot of this node's state now (unless one exists at the applied index); Ratis purges the log up
     * to it right after, in the background.
     *
     * @return the index of the newest snapshot
     */
    public long takeSnapshot() {
        try {
            final RaftClientReply reply = requestSnapshot(1).get();
            if (!reply.isSuccess()) {
                throw new ClusterUnavailableException("snapshot failed: " + reply.getException(),
                        reply.getException());
            }
            return reply.getLogIndex();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterUnavailableException("interrupted while taking a snapshot", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new ClusterUnavailableException("snapshot failed: " + e.getCause(), e.getCause());
        }
    }

    private CompletableFuture<RaftClientReply> requestSnapshot(long creationGap) {
        try {
            return server.snapshotManagementAsync(SnapshotManagementRequest.newCreate(localClientId, selfId,
                    groupId, callIds.incrementAndGet(), MEMBERSHIP_TIMEOUT.toMillis(), creationGap));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The log index of the newest snapshot on this node, or -1. */
    public long latestSnapshotIndex() {
        final var latest = adapter.getLatestSnapshot();
        return latest == null ? -1 : latest.getIndex();
    }

    /** The file of the newest snapshot on this node (a compacted log of the store's format), or null. */
    public java.nio.file.Path latestSnapshotFile() {
        final var latest = adapter.getLatestSnapshot();
        return latest == null ? null : latest.getFiles().get(0).getPath();
    }

    /** The first index still in this node's Raft log (everything before it was purged into a snapshot). */
    public long logStartIndex() {
        return division.getRaftLog().getStartIndex();
    }

    private RaftGroup knownGroup() {
        final Collection<RaftPeer> peers = division.getRaftConf().getAllPeers(RaftPeerRole.FOLLOWER);
        return peers.isEmpty() ? RatisSettings.group(config, config.members()) : RaftGroup.valueOf(groupId, peers);
    }

    private RaftClient newClient(RaftGroup group, Duration operationTimeout, Duration requestTimeout) {
        return RaftClient.newBuilder()
                .setRaftGroup(group)
                .setLeaderId(division.getInfo().getLeaderId())
                .setProperties(RatisSettings.client(requestTimeout, config.maxCommandBytes()))
                .setParameters(parameters)
                .setRetryPolicy(RatisSettings.retryPolicy(operationTimeout))
                .build();
    }

    /** Closes the server from another thread: Ratis's apply thread cannot close the server it runs in. */
    private void closeAfterHalt(Throwable cause) {
        final Thread closer = new Thread(this::close, "kv-cluster-halt-" + config.nodeId());
        closer.setDaemon(true);
        closer.start();
    }

    /** Closes the node; when it is already closing (after a halt, say), waits until that is done. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            closeDone.join();
            return;
        }
        try {
            closeQuietly(client);
            closeQuietly(adminClient);
            closeQuietly(leadership);
            closeQuietly(leadershipClient);
            server.close();
            LOG.info("cluster node {} closed", config.nodeId());
        } catch (IOException e) {
            LOG.warn("closing the Raft server of {} failed", config.nodeId(), e);
        } finally {
            closeDone.complete(null);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("close failed", e);
        }
    }
}
