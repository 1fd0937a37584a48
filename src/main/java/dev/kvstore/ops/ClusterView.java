package dev.kvstore.ops;

import dev.kvstore.cluster.ClusterStatus;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Locale;

/** {@code GET /cluster}: what this node knows of the group. */
@Schema(name = "Cluster", description = "What this node knows of the Raft group")
record ClusterView(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "This node's id", example = "n1")
        String nodeId,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, nullable = true,
                description = "The leader this node knows of; null while there is none (an election is running, or"
                        + " this node cannot reach a majority)", example = "n2")
        String leaderId,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "This node's current term", example = "7")
        long term,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "The members of the configuration this"
                + " node knows, with the role each has as far as this node can tell (its own role is exact)")
        List<Member> members,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "The highest Raft log index this node"
                + " knows to be committed", example = "1042")
        long commitIndex,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "The highest Raft log index this node has"
                + " applied; commitIndex - appliedIndex is its lag", example = "1042")
        long appliedIndex) {

    @Schema(name = "ClusterMember")
    record Member(@Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "n2") String id,
                  @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "Its Raft address, host:port",
                          example = "kv2:9090") String address,
                  @Schema(requiredMode = Schema.RequiredMode.REQUIRED,
                          allowableValues = {"leader", "follower", "candidate", "listener", "stopped"})
                  String role) {
    }

    static ClusterView of(ClusterStatus s) {
        return new ClusterView(s.nodeId(), s.leaderId(), s.term(), s.members().stream()
                .map(m -> new Member(m.id(), m.address(), m.role().name().toLowerCase(Locale.ROOT))).toList(),
                s.commitIndex(), s.appliedIndex());
    }
}
