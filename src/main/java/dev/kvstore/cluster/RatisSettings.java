package dev.kvstore.cluster;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.client.retry.RequestTypeDependentRetryPolicy;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.RaftClientRequestProto;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/** Every Ratis setting the cluster uses, in one place, with why it differs from Ratis's default. */
final class RatisSettings {

    /** Room for the request envelope around a command in a log entry (client id, call id, protobuf framing). */
    private static final int ENTRY_OVERHEAD = 64 << 10;
    /** Pause between a client's attempts; none after a NotLeaderException that names the leader. */
    private static final TimeDuration RETRY_SLEEP = TimeDuration.valueOf(50, TimeUnit.MILLISECONDS);
    /** Pause after a follower's n-th failure in a row: 1 ms for 10, 100 ms for 20, then 500 ms (randomized ±50%). */
    static final String APPENDER_RETRY_POLICY = "1ms,10, 100ms,20, 500ms,2000000000";

    private RatisSettings() {
    }

    static RaftProperties server(ClusterConfig config) {
        final RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(config.raftDir().toFile()));
        final ClusterMember self = config.self();
        GrpcConfigKeys.Server.setHost(p, host(self.address()));
        GrpcConfigKeys.Server.setPort(p, self.port());

        RaftServerConfigKeys.Rpc.setTimeoutMin(p, time(config.electionTimeoutMin()));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, time(config.electionTimeoutMax()));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, time(config.requestTimeout()));
        // Shutdown must fit in the service's graceful-shutdown phase.
        RaftServerConfigKeys.setCloseThreshold(p, TimeDuration.valueOf(10, TimeUnit.SECONDS));

        // DEFAULT answers reads from the leader's state without a ReadIndex ("may undermine linearizability"). Our own
        // reads do not rely on Ratis's ReadIndex, which can skip the leadership check (see LeadershipCheck): they ask
        // the leader for a confirmed read index with a non-linearizable read, then wait here.
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Read.setTimeout(p, time(config.operationTimeout()));

        // Off by default: without them the log grows for ever.
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, config.snapshotEntries());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, config.snapshotsRetained());
        // Purge to our own snapshot even when a follower is behind or down (the default keeps every entry a
        // follower lacks, so one dead node would pin the log); that follower then gets the snapshot instead.
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setPurgeGap(p, 1);
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(config.logSegmentBytes()));
        RaftServerConfigKeys.Log.setPreallocatedSize(p,
                SizeInBytes.valueOf(Math.min(config.logSegmentBytes(), 4L << 20)));
        // Ratis 3.3.0's default chains a follower's appends on one future (RaftServerImpl's NavigableIndices): the
        // chain is extended inside AtomicReference.updateAndGet, whose function is re-run on contention, so a
        // discarded attempt still runs its append, at the same time as the kept one ('SegmentedRaftLog: Already
        // running a method'); once one append fails the chain stays failed, and this follower takes no entry again
        // until its division restarts; and a heartbeat is checked against appends still queued there, so a follower's
        // commit index can move over old-term entries before (or, when the append fails, instead of) their
        // replacement, and it applies entries that were never committed. Off, a follower appends on the thread that
        // received the entries, as Ratis did before 3.1.3: a failed append fails that one request, the leader sends
        // the entries again, and a heartbeat is checked against the log itself.
        RaftServerConfigKeys.Log.setAppendEntriesComposeEnabled(p, false);
        // How long the leader waits before it tries a failing follower again. Ratis's default ("1ms,10, 1s,20,
        // 5s,1000") waits 5 s after 30 failures, which a follower restarted after ~20 s down has reached: it then got
        // no entry for up to 5 s more, and if the leader died meanwhile the next leader could commit nothing until
        // that follower had caught up (ClusterIT: 2.6 s of a 3.8 s failover). Trying a dead peer costs a refused
        // connection, so a 500 ms cap is cheap.
        RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, APPENDER_RETRY_POLICY);

        // What Ratis keeps on the heap, sized to what we use of it. Its retry cache holds every applied entry's reply
        // for 60 s by default (150,000 replies at 2,500 entries/s), though EntryProposer retries an entry for at most
        // operationTimeout + requestTimeout; its log cache holds up to six closed segments, though a follower that
        // is further behind than the newest one can be sent entries from the file. Both lived long enough to be
        // copied out of the young generation, then filled the old one: 120-170 ms young-collection pauses on
        // followers under put_c64 (60-80 ms with these two settings), a follower's p99 of 100-150 ms (60 ms).
        RaftServerConfigKeys.RetryCache.setExpiryTime(p,
                time(config.operationTimeout().plus(config.requestTimeout()).multipliedBy(2)));
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 2);

        // An entry must fit the appender's buffer (a larger one fails an assertion in the appender) and the log
        // writer's buffer, which must be 8 bytes larger still.
        final int entryLimit = config.maxCommandBytes() + ENTRY_OVERHEAD;
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(entryLimit));
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(entryLimit + 8L));
        RaftServerConfigKeys.Write.setByteLimit(p, SizeInBytes.valueOf(Math.max(64L << 20, 2L * entryLimit)));
        RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(p, SizeInBytes.valueOf(config.snapshotChunkBytes()));
        GrpcConfigKeys.setMessageSizeMax(p,
                SizeInBytes.valueOf(Math.max(entryLimit, config.snapshotChunkBytes()) + (1L << 20)));
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, time(config.requestTimeout()));
        return p;
    }

    /**
     * What Ratis takes as objects rather than properties: the TLS of every gRPC channel, the server's (its peers
     * and clients alike, which share its one port) and this node's clients' (to the leader, and the admin client),
     * when {@code tls} is set; the same for every server and client of a node.
     */
    static Parameters parameters(ClusterTls tls) {
        final Parameters p = new Parameters();
        if (tls != null) {
            GrpcConfigKeys.TLS.setConf(p, tls.grpcConfig());
        }
        return p;
    }

    /** @param requestTimeout one attempt of a request (a membership change waits for the new member) */
    static RaftProperties client(Duration requestTimeout, int maxCommandBytes) {
        final RaftProperties p = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, time(requestTimeout));
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(maxCommandBytes + ENTRY_OVERHEAD + (1L << 20)));
        return p;
    }

    /**
     * Retries every kind of request, pausing briefly, until {@code limit} has passed since the first attempt. The
     * default policy retries for ever without a pause, and {@link RequestTypeDependentRetryPolicy} falls back to
     * that for any request type it was not given, so every type is listed.
     */
    static RetryPolicy retryPolicy(Duration limit) {
        final RequestTypeDependentRetryPolicy.Builder b = RequestTypeDependentRetryPolicy.newBuilder();
        for (RaftClientRequestProto.TypeCase type : RaftClientRequestProto.TypeCase.values()) {
            b.setRetryPolicy(type, RetryPolicies.retryForeverWithSleep(RETRY_SLEEP));
            b.setTimeout(type, time(limit));
        }
        return b.build();
    }

    /** The group id every member derives from the group's name. */
    static RaftGroupId groupId(String groupName) {
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("kv-store/" + groupName).getBytes(StandardCharsets.UTF_8)));
    }

    static RaftGroup group(ClusterConfig config, List<ClusterMember> members) {
        return RaftGroup.valueOf(groupId(config.groupName()), members.stream().map(RatisSettings::peer).toList());
    }

    static RaftPeer peer(ClusterMember member) {
        return RaftPeer.newBuilder().setId(member.id()).setAddress(member.address()).build();
    }

    static ClusterMember member(RaftPeer peer) {
        return new ClusterMember(peer.getId().toString(), peer.getAddress());
    }

    private static String host(String address) {
        final String host = address.substring(0, address.lastIndexOf(':'));
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private static TimeDuration time(Duration d) {
        return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
    }
}
