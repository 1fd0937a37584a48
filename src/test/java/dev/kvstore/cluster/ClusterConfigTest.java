package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ClusterConfigTest {

    @Test
    void peersParseIntoMembersInOrder() {
        final List<ClusterMember> members = ClusterMember.parseList(" n1=10.0.0.1:9870, n2=db-2.local:9870,n3=[::1]:9871");

        assertThat(members).containsExactly(new ClusterMember("n1", "10.0.0.1:9870"),
                new ClusterMember("n2", "db-2.local:9870"), new ClusterMember("n3", "[::1]:9871"));
        assertThat(members.get(2).port()).isEqualTo(9871);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "n1", "n1=host", "n1=host:0", "n1=host:70000", "n1=:9870", "=h:1",
            "n1=a:1,n1=b:2", "n1=a:1,n2=a:1", "n 1=a:1", "n1=a:port"})
    void malformedPeersAreRefusedWithAMessage(String peers) {
        assertThatThrownBy(() -> ClusterMember.parseList(peers)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("null");
    }

    @Test
    void theNodeMustBeAmongTheMembersAndTimeoutsMustBeOrdered() {
        final List<ClusterMember> members = ClusterMember.parseList("n1=a:1,n2=b:2,n3=c:3");
        final Path dir = Path.of("data");

        assertThatThrownBy(() -> ClusterConfig.builder("n9", members, dir).build())
                .hasMessageContaining("n9").hasMessageContaining("not among");
        assertThatThrownBy(() -> ClusterConfig.builder("n1", members, dir)
                .electionTimeout(Duration.ofSeconds(2), Duration.ofSeconds(1)).build())
                .isInstanceOf(IllegalArgumentException.class);
        final ClusterConfig config = ClusterConfig.builder("n2", members, dir).build();
        assertThat(config.self()).isEqualTo(new ClusterMember("n2", "b:2"));
        assertThat(config.raftDir()).isEqualTo(dir.resolve("raft"));
    }

    @Test
    void everyMemberDerivesTheSameGroupIdFromTheGroupName() {
        assertThat(RatisSettings.groupId("kv-store")).isEqualTo(RatisSettings.groupId("kv-store"))
                .isNotEqualTo(RatisSettings.groupId("other"));
    }

    @Test
    void aReplyStaysInTheRetryCacheForAsLongAsTheProposerMayRetryItsEntry() {
        final ClusterConfig config = ClusterConfig.builder("n1", ClusterMember.parseList("n1=a:1"), Path.of("data"))
                .requestTimeout(Duration.ofSeconds(7)).operationTimeout(Duration.ofSeconds(20)).build();
        final Duration expiry = Duration.ofNanos(
                RaftServerConfigKeys.RetryCache.expiryTime(RatisSettings.server(config)).toLong(TimeUnit.NANOSECONDS));
        // EntryProposer sends an entry again, with the same ids, until operationTimeout plus one requestTimeout.
        assertThat(expiry).isGreaterThanOrEqualTo(Duration.ofSeconds(27));
    }
}
