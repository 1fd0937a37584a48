package dev.kvstore.cluster;

import java.util.List;

/**
 * What one node knows about the group, for {@code GET /cluster}.
 *
 * @param nodeId       this node
 * @param leaderId     the leader this node knows of, or null while there is none
 * @param term         this node's current term
 * @param members      the members of the configuration this node knows, each with the role it has as far as this
 *                     node can tell (this node's own role is exact)
 * @param commitIndex  the highest log index this node knows to be committed
 * @param appliedIndex the highest log index this node has applied (configuration entries included)
 */
public record ClusterStatus(String nodeId, String leaderId, long term, List<Member> members, long commitIndex,
                            long appliedIndex) {

    public ClusterStatus {
        members = List.copyOf(members);
    }

    public enum Role { LEADER, FOLLOWER, CANDIDATE, LISTENER, STOPPED }

    public record Member(String id, String address, Role role) {
    }

    public boolean hasLeader() {
        return leaderId != null;
    }
}
