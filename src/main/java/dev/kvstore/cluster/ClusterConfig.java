package dev.kvstore.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything a {@link ClusterNode} needs. The defaults live in {@link Builder}, once; a configuration layer sets only
 * what the operator gave.
 *
 * @param nodeId             this node's member id; must be among {@code members}
 * @param members            the group's members, this node included ({@code kv.cluster.peers}); used as the
 *                           group's first configuration when the Raft storage is new, and as the client's first
 *                           guess of the group afterwards (the group's configuration lives in the Raft log)
 * @param dataDir            the node's data directory; Raft keeps its log and snapshots under {@code dataDir/raft}
 * @param groupName          names the Raft group; every member must use the same one (the group id is derived
 *                           from it)
 * @param join               this node is being added to a running group: it starts with no configuration and waits
 *                           for the leader to add it ({@link ClusterNode#addMember}) and send it a snapshot
 * @param electionTimeoutMin shortest time without a leader's heartbeat before a follower stands for election;
 *                           the leader sends heartbeats every half of it
 * @param electionTimeoutMax longest such time (each follower picks a random timeout in between)
 * @param requestTimeout     one attempt of a client request, and Raft's own server-to-server requests
 * @param operationTimeout   a whole client operation, retries included: past it the caller gets a
 *                           {@link ClusterUnavailableException} (one more attempt may still be in flight, so the
 *                           bound is this plus {@code requestTimeout})
 * @param snapshotEntries    take a snapshot once this many entries were applied since the last one
 * @param snapshotBytes      or once the commands applied since the last one add up to this many bytes
 * @param snapshotsRetained  snapshot files kept on disk
 * @param logSegmentBytes    size of one Raft log segment file; the log is purged by whole segments
 * @param maxCommandBytes    the largest command a client may propose; Raft's entry buffers are sized from it
 * @param snapshotChunkBytes the largest piece of a snapshot sent to a follower in one request
 * @param tls                mutual TLS on the Raft port, or null for plain text ({@link ClusterTls})
 */
public record ClusterConfig(String nodeId, List<ClusterMember> members, Path dataDir, String groupName, boolean join,
                            Duration electionTimeoutMin, Duration electionTimeoutMax, Duration requestTimeout,
                            Duration operationTimeout, long snapshotEntries, long snapshotBytes,
                            int snapshotsRetained, long logSegmentBytes, int maxCommandBytes,
                            int snapshotChunkBytes, ClusterTls tls) {

    public ClusterConfig {
        Objects.requireNonNull(nodeId, "nodeId");
        members = List.copyOf(members);
        Objects.requireNonNull(dataDir, "dataDir");
        if (groupName == null || groupName.isBlank()) {
            throw new IllegalArgumentException("the cluster's group name must not be blank");
        }
        if (members.stream().noneMatch(m -> m.id().equals(nodeId))) {
            throw new IllegalArgumentException("node id '" + nodeId + "' is not among the cluster members "
                    + members + "; list every member, this node included");
        }
        positive(electionTimeoutMin, "electionTimeoutMin");
        positive(requestTimeout, "requestTimeout");
        positive(operationTimeout, "operationTimeout");
        if (electionTimeoutMax.compareTo(electionTimeoutMin) <= 0) {
            throw new IllegalArgumentException("electionTimeoutMax must exceed electionTimeoutMin");
        }
        if (snapshotEntries < 1 || snapshotBytes < 1 || snapshotsRetained < 1 || logSegmentBytes < 1024
                || maxCommandBytes < 1 || snapshotChunkBytes < 1024) {
            throw new IllegalArgumentException("cluster snapshot and log sizes must be positive (segments and "
                    + "chunks at least 1 KiB)");
        }
    }

    public ClusterMember self() {
        return members.stream().filter(m -> m.id().equals(nodeId)).findFirst().orElseThrow();
    }

    public Path raftDir() {
        return dataDir.resolve("raft");
    }

    public static Builder builder(String nodeId, List<ClusterMember> members, Path dataDir) {
        return new Builder(nodeId, members, dataDir);
    }

    private static void positive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }

    /** The defaults, declared once. */
    public static final class Builder {
        private final String nodeId;
        private final List<ClusterMember> members;
        private final Path dataDir;
        private String groupName = "kv-store";
        private boolean join;
        // Ratis's 150-300 ms default elects spuriously on a busy JVM. A follower notices a dead leader after the rest
        // of its current sleep of one timeout plus one whole timeout more (FollowerState sleeps a full timeout, then
        // checks), so up to twice the maximum: 500-1000 ms keeps failover within the 3 s (ClusterIT), and
        // pre-vote keeps a follower that merely paused from disturbing a live leader.
        private Duration electionTimeoutMin = Duration.ofMillis(500);
        private Duration electionTimeoutMax = Duration.ofMillis(1000);
        private Duration requestTimeout = Duration.ofSeconds(3);
        private Duration operationTimeout = Duration.ofSeconds(5);
        private long snapshotEntries = 100_000;
        private long snapshotBytes = 64L << 20;
        private int snapshotsRetained = 2;
        private long logSegmentBytes = 16L << 20;
        private int maxCommandBytes = 20 << 20; // a 16 MiB batch and its framing
        private int snapshotChunkBytes = 16 << 20;
        private ClusterTls tls;

        private Builder(String nodeId, List<ClusterMember> members, Path dataDir) {
            this.nodeId = nodeId;
            this.members = members;
            this.dataDir = dataDir;
        }

        public Builder groupName(String v) { groupName = v; return this; }
        public Builder join(boolean v) { join = v; return this; }
        public Builder electionTimeout(Duration min, Duration max) {
            electionTimeoutMin = min;
            electionTimeoutMax = max;
            return this;
        }
        public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
        public Builder operationTimeout(Duration v) { operationTimeout = v; return this; }
        public Builder snapshotEntries(long v) { snapshotEntries = v; return this; }
        public Builder snapshotBytes(long v) { snapshotBytes = v; return this; }
        public Builder snapshotsRetained(int v) { snapshotsRetained = v; return this; }
        public Builder logSegmentBytes(long v) { logSegmentBytes = v; return this; }
        public Builder maxCommandBytes(int v) { maxCommandBytes = v; return this; }
        public Builder snapshotChunkBytes(int v) { snapshotChunkBytes = v; return this; }
        public Builder tls(ClusterTls v) { tls = v; return this; }

        public ClusterConfig build() {
            return new ClusterConfig(nodeId, members, dataDir, groupName, join, electionTimeoutMin,
                    electionTimeoutMax, requestTimeout, operationTimeout, snapshotEntries, snapshotBytes,
                    snapshotsRetained, logSegmentBytes, maxCommandBytes, snapshotChunkBytes, tls);
        }
    }
}
