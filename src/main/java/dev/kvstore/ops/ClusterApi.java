package dev.kvstore.ops;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The OpenAPI description of cluster mode's own operations, kept apart from the controllers' logic; their refusals
 * come from the problem catalogue ({@code OpenApiConfiguration.CLUSTER_PROBLEMS}).
 */
@Tag(name = "cluster", description = "Cluster mode: the Raft group, its members, snapshots")
interface ClusterApi {

    String STATUS = "{\"nodeId\":\"n1\",\"leaderId\":\"n2\",\"term\":7,\"members\":[{\"id\":\"n1\",\"address\":"
            + "\"kv1:9090\",\"role\":\"follower\"},{\"id\":\"n2\",\"address\":\"kv2:9090\",\"role\":\"leader\"},"
            + "{\"id\":\"n3\",\"address\":\"kv3:9090\",\"role\":\"follower\"}],\"commitIndex\":1042,"
            + "\"appliedIndex\":1042}";
    String SNAPSHOT = "{\"snapshotIndex\":1042,\"appliedIndex\":1042,\"snapshotBytes\":410000,"
            + "\"logStartIndex\":1043}";

    @Operation(summary = "This node's view of the cluster",
            description = "The node, the leader it knows of (null while there is none), its term, the members with"
                    + " their roles, and how far it has committed and applied the Raft log. Any node answers; a"
                    + " node cut off from the majority answers too, with leaderId null once it noticed.")
    @ApiResponse(responseCode = "200", description = "This node's view",
            content = @Content(schema = @Schema(implementation = ClusterView.class),
                    examples = @ExampleObject(value = STATUS)))
    ClusterView status();

    @Operation(summary = "Add a member",
            description = "Adds a node to the group (Raft's setConfiguration). Start the new node first, with"
                    + " kv.cluster.join=true and the new list of peers; the leader then brings it up to date (from a"
                    + " snapshot when the log it needs was purged) and commits the new configuration, and only"
                    + " then does this answer, with the new view. Adding a present member changes nothing.")
    @ApiResponse(responseCode = "200", description = "The member was added; the cluster as this node now knows it",
            content = @Content(schema = @Schema(implementation = ClusterView.class),
                    examples = @ExampleObject(value = STATUS)))
    ClusterView addMember(@io.swagger.v3.oas.annotations.parameters.RequestBody(description = "The new member",
            content = @Content(schema = @Schema(implementation = ClusterController.MemberRequest.class),
                    examples = @ExampleObject(value = "{\"id\":\"n4\",\"address\":\"kv4:9090\"}")))
                          ClusterController.MemberRequest member);

    @Operation(summary = "Remove a member",
            description = "Removes a node from the group, a dead one included (Raft's setConfiguration), if the"
                    + " configuration is still the one this node knows. A removed node that still runs is told to"
                    + " stop by the leader. A member that lost its disk must be removed and added again, wiped.")
    @ApiResponse(responseCode = "200", description = "The member was removed; the cluster as this node now knows it",
            content = @Content(schema = @Schema(implementation = ClusterView.class),
                    examples = @ExampleObject(value = STATUS)))
    ClusterView removeMember(@Parameter(description = "The member's id", example = "n3") String id);

    @Operation(summary = "Snapshot this node's state and purge its Raft log",
            description = "Cluster mode's compaction: writes this node's state as a snapshot (a compacted log in the"
                    + " store's format) and lets Raft purge its log up to it, in the background. Snapshots are also"
                    + " taken on their own (kv.cluster.snapshot-entries, kv.cluster.snapshot-size). Reads and"
                    + " writes go on; this node applies nothing while it writes the snapshot.")
    @ApiResponse(responseCode = "200", description = "The snapshot is written and forced",
            content = @Content(schema = @Schema(implementation = ClusterController.SnapshotView.class),
                    examples = @ExampleObject(value = SNAPSHOT)))
    ClusterController.SnapshotView compact();

    @Operation(summary = "Download a consistent snapshot",
            description = "Passes a read barrier, snapshots this node's state and streams the snapshot: a log in the"
                    + " store's format holding every write acknowledged before the request. It restores a single"
                    + " node (kv.restore.from); `java -jar kv-store.jar verify` checks it.")
    @ApiResponse(responseCode = "200", description = "The snapshot, a log in the store's frame format",
            headers = {
                    @Header(name = "Repr-Digest", description = "SHA-256 of the whole body (RFC 9530)",
                            schema = @Schema(type = "string")),
                    @Header(name = "Content-Disposition", description = "A file name with the node and the Raft"
                            + " index", schema = @Schema(type = "string"))},
            content = @Content(mediaType = "application/octet-stream",
                    schema = @Schema(type = "string", format = "binary")))
    void snapshot(@Parameter(hidden = true) HttpServletResponse response) throws IOException;
}
