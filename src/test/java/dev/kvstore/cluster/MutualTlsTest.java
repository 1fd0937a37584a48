package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.proto.RaftProtos.RaftGroupIdProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteReplyProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.proto.RaftProtos.TermIndexProto;
import org.apache.ratis.proto.grpc.RaftServerProtocolServiceGrpc;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.io.grpc.ManagedChannel;
import org.apache.ratis.thirdparty.io.grpc.Status;
import org.apache.ratis.thirdparty.io.grpc.StatusRuntimeException;
import org.apache.ratis.thirdparty.io.grpc.netty.GrpcSslContexts;
import org.apache.ratis.thirdparty.io.grpc.netty.NegotiationType;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Three real Ratis servers on loopback with mutual TLS ({@link ClusterTls}): they elect, replicate and read over it;
 * a client or a peer that presents no certificate, or one issued by another CA, cannot write, read, change the
 * members or vote, and the group goes on as before. One cluster for the class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MutualTlsTest {

    private TestCertificates.Authority ours;
    private TestCertificates.Authority stranger;
    private TestCluster cluster;
    private String leader;

    /** Who knocks on the Raft port without belonging. */
    enum Intruder {
        /** Plain text, as every member spoke before. */
        PLAIN_TEXT,
        /** TLS that trusts our CA but presents no certificate of its own. */
        NO_CERTIFICATE,
        /** A valid certificate for the same host, from another CA. */
        ANOTHER_CA
    }

    @BeforeAll
    void startCluster(@TempDir Path dir) {
        ours = TestCertificates.shared().ours();
        stranger = TestCertificates.shared().stranger();
        final ClusterTls tls = ClusterTls.load(ours.certificate(), ours.privateKey(), ours.trust(), "127.0.0.1");
        final long started = System.nanoTime();
        cluster = new TestCluster(dir, 3, b -> b.tls(tls)).startAll();
        leader = cluster.awaitLeader();
        System.out.printf("mutual TLS: a leader all three agree on %d ms after the servers were started%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void threeNodesReplicateAndReadLinearizablyOverMutualTls() {
        final List<String> ids = cluster.running();
        for (int i = 0; i < 6; i++) {
            final String writer = ids.get(i % 3);
            final String reader = ids.get((i + 1) % 3);
            final FakeKvState.Result put = FakeKvState.result(
                    cluster.node(writer).client().write(FakeKvState.put("tls", "v" + i)));

            final FakeKvState.Result read = FakeKvState.result(
                    cluster.node(reader).client().read(FakeKvState.get("tls")));

            assertThat(read.valueText()).as("read on %s after write %d on %s", reader, i, writer).isEqualTo("v" + i);
            assertThat(read.revision()).isEqualTo(put.revision());
        }
        cluster.awaitConverged();
    }

    @ParameterizedTest
    @EnumSource(Intruder.class)
    void aClientThatDoesNotBelongCannotWriteReadOrChangeMembers(Intruder intruder) throws Exception {
        final Map<String, Long> termsBefore = terms();
        try (RaftClient client = raftClient(intruder)) {
            final RaftPeerId target = RaftPeerId.valueOf(leader);

            refused(() -> client.io().send(message(FakeKvState.put("intruder", intruder.name()))));
            refused(() -> client.io().sendReadOnly(query(FakeKvState.get("tls")), target));
            refused(() -> client.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
                    .setServersInNewConf(List.of(RatisSettings.peer(cluster.members().get(0)))).build()));
        }

        assertThat(FakeKvState.result(cluster.node(leader).client().read(FakeKvState.get("intruder"))).status())
                .as("nothing written").isEqualTo(FakeKvState.Status.NOT_FOUND);
        assertThat(cluster.node(leader).members()).as("members unchanged").hasSize(3);
        assertThat(cluster.awaitLeader()).isEqualTo(leader);
        assertThat(terms()).as("no election").isEqualTo(termsBefore);
    }

    @Test
    void theSameClientWithOurCertificateIsServed() throws Exception {
        try (RaftClient client = raftClient(null)) {
            assertThat(client.io().send(message(FakeKvState.put("member", "welcome"))).isSuccess()).isTrue();
            final RaftClientReply read = client.io().sendReadOnly(query(FakeKvState.get("member")),
                    RaftPeerId.valueOf(leader));
            assertThat(FakeKvState.result(read.getMessage().getContent().toByteArray()).valueText())
                    .isEqualTo("welcome");
        }
    }

    @ParameterizedTest
    @EnumSource(Intruder.class)
    void aPeerThatDoesNotBelongCannotVote(Intruder intruder) throws Exception {
        final Map<String, Long> termsBefore = terms();
        final String follower = cluster.followers(leader).get(0);
        final long term = cluster.node(leader).status().term();

        // Impersonating the leader at a term far ahead: if a follower took it, it would stand for election.
        final StatusRuntimeException e = (StatusRuntimeException) catchThrowable(
                () -> requestVote(intruder, follower, leader, term + 1000));
        assertThat(e).as("vote request of a " + intruder).isNotNull();
        assertThat(e.getStatus().getCode()).as(e.toString()).isEqualTo(Status.Code.UNAVAILABLE);

        assertThat(cluster.awaitLeader()).isEqualTo(leader);
        assertThat(terms()).as("no election").isEqualTo(termsBefore);
    }

    @Test
    void theSameVoteRequestWithOurCertificateReachesTheServer() throws Exception {
        final String follower = cluster.followers(leader).get(0);
        final long term = cluster.node(follower).status().term();

        // A stale term, so that it changes nothing; what matters is that it is answered.
        final RequestVoteReplyProto reply = requestVote(null, follower, leader, 0);

        assertThat(reply.getTerm()).isEqualTo(term);
        assertThat(reply.getServerReply().getSuccess()).as("a vote at a stale term is refused").isFalse();
    }

    /** Sends a vote request straight to a member's server service; {@code intruder} null: with our certificate. */
    private RequestVoteReplyProto requestVote(Intruder intruder, String to, String as, long term) throws Exception {
        final ClusterMember member = cluster.members().stream().filter(m -> m.id().equals(to)).findFirst()
                .orElseThrow();
        final NettyChannelBuilder builder = NettyChannelBuilder.forAddress(member.host(), member.port());
        if (intruder == Intruder.PLAIN_TEXT) {
            builder.negotiationType(NegotiationType.PLAINTEXT);
        } else {
            final var ssl = GrpcSslContexts.forClient().trustManager(ours.trust().toFile());
            if (intruder == null) {
                ssl.keyManager(ours.certificate().toFile(), ours.privateKey().toFile());
            } else if (intruder == Intruder.ANOTHER_CA) {
                ssl.keyManager(stranger.certificate().toFile(), stranger.privateKey().toFile());
            }
            builder.useTransportSecurity().sslContext(ssl.build());
        }
        final ManagedChannel channel = builder.build();
        try {
            final RaftGroupId group = RatisSettings.groupId("kv-store");
            return RaftServerProtocolServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .requestVote(RequestVoteRequestProto.newBuilder()
                            .setServerRequest(RaftRpcRequestProto.newBuilder()
                                    .setRequestorId(RaftPeerId.valueOf(as).toByteString())
                                    .setReplyId(RaftPeerId.valueOf(to).toByteString())
                                    .setRaftGroupId(RaftGroupIdProto.newBuilder().setId(group.toByteString()))
                                    .setCallId(1))
                            .setCandidateTerm(term)
                            .setCandidateLastEntry(TermIndexProto.newBuilder().setTerm(term).setIndex(1 << 30))
                            .build());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** A Ratis client of the group, as an intruder, or with our certificate ({@code null}). */
    private RaftClient raftClient(Intruder intruder) {
        return RaftClient.newBuilder()
                .setRaftGroup(RatisSettings.group(ClusterConfig.builder(leader, cluster.members(), Path.of("x"))
                        .build(), cluster.members()))
                .setLeaderId(RaftPeerId.valueOf(leader))
                .setProperties(RatisSettings.client(Duration.ofSeconds(2), 1 << 20))
                .setParameters(parameters(intruder))
                .setRetryPolicy(RetryPolicies.noRetry()).build();
    }

    private Parameters parameters(Intruder intruder) {
        if (intruder == null) {
            return RatisSettings.parameters(ClusterTls.load(ours.certificate(), ours.privateKey(), ours.trust(),
                    "127.0.0.1"));
        }
        final Parameters p = new Parameters();
        final File trust = ours.trust().toFile();
        switch (intruder) {
            case PLAIN_TEXT -> { }
            case NO_CERTIFICATE -> GrpcConfigKeys.TLS.setConf(p, new GrpcTlsConfig(null, null, trust, false));
            case ANOTHER_CA -> GrpcConfigKeys.TLS.setConf(p, new GrpcTlsConfig(stranger.privateKey().toFile(),
                    stranger.certificate().toFile(), trust, true));
        }
        return p;
    }

    private Map<String, Long> terms() {
        final Map<String, Long> terms = new TreeMap<>();
        cluster.running().forEach(id -> terms.put(id, cluster.node(id).status().term()));
        return terms;
    }

    private static Message message(byte[] bytes) {
        return Message.valueOf(ByteString.copyFrom(bytes));
    }

    /** A query as {@link ClusterClient} sends it. */
    private static Message query(byte[] q) {
        final byte[] request = new byte[q.length + 1];
        request[0] = StateMachineAdapter.QUERY;
        System.arraycopy(q, 0, request, 1, q.length);
        return Message.valueOf(ByteString.copyFrom(request));
    }

    /** The request never reaches Ratis: the connection is refused (an answer, even a refusal, would mean it did). */
    private static void refused(Callable<RaftClientReply> call) {
        assertThatThrownBy(call::call).isInstanceOf(java.io.IOException.class)
                .cause().isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }

    private static Throwable catchThrowable(Callable<?> call) {
        try {
            call.call();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }
}
