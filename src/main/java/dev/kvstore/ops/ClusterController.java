package dev.kvstore.ops;

import dev.kvstore.replication.ClusterMode;
import dev.kvstore.cluster.ClusterMember;
import dev.kvstore.cluster.ClusterNode;
import dev.kvstore.cluster.ClusterUnavailableException;
import dev.kvstore.problem.ProblemType;
import dev.kvstore.problem.ProblemWriter;
import dev.kvstore.replication.ReplicatedKeyValueStore;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Map;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Cluster mode's operations: {@code GET /cluster}; adding and removing members ({@code /admin/cluster/members});
 * and what {@code POST /admin/compaction} and {@code GET /admin/snapshot} mean here, where Raft's log is the log: a
 * snapshot of this node's state, after which Raft purges its log.
 */
@RestController
@ClusterMode
class ClusterController implements ClusterApi {

    private static final Log LOG = LogFactory.getLog(ClusterController.class);

    private final ReplicatedKeyValueStore store;
    private final ClusterNode node;

    ClusterController(ReplicatedKeyValueStore store) {
        this.store = store;
        this.node = store.node();
    }

    @Override
    @GetMapping(path = "/cluster", produces = MediaType.APPLICATION_JSON_VALUE)
    public ClusterView status() {
        return ClusterView.of(node.status());
    }

    @Schema(name = "MemberRequest")
    record MemberRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "n4") String id,
                         @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "Its Raft address,"
                                 + " host:port", example = "kv4:9090") String address) {
    }

    @Override
    @PostMapping(path = "/admin/cluster/members", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    public ClusterView addMember(@RequestBody MemberRequest member) {
        ClusterMember m;
        try {
            m = new ClusterMember(member.id(), member.address());
        } catch (IllegalArgumentException e) {
            throw new MemberProblem(ProblemType.INVALID_MEMBER, e.getMessage());
        }
        node.addMember(m);
        return status();
    }

    @Override
    @DeleteMapping(path = "/admin/cluster/members/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ClusterView removeMember(@PathVariable("id") String id) {
        if (node.members().stream().noneMatch(m -> m.id().equals(id))) {
            throw new MemberProblem(ProblemType.MEMBER_NOT_FOUND, "'" + id + "' is not a member of the cluster "
                    + node.members());
        }
        node.removeMember(id);
        return status();
    }

    /** What a snapshot taken through {@code POST /admin/compaction} is. */
    record SnapshotView(@Schema(description = "The Raft log index the snapshot holds the state at") long snapshotIndex,
                        @Schema(description = "This node's applied index after it") long appliedIndex,
                        @Schema(description = "The snapshot file's bytes") long snapshotBytes,
                        @Schema(description = "The first index still in this node's Raft log; the log before it is"
                                + " purged in the background, by whole segments") long logStartIndex) {
    }

    @Override
    @PostMapping(path = "/admin/compaction", produces = MediaType.APPLICATION_JSON_VALUE)
    public SnapshotView compact() {
        long index = node.takeSnapshot();
        Path file = node.latestSnapshotFile();
        long bytes = 0;
        try {
            bytes = file == null ? 0 : Files.size(file);
        } catch (IOException e) {
            // a newer snapshot replaced it meanwhile
        }
        return new SnapshotView(index, node.status().appliedIndex(), bytes, node.logStartIndex());
    }

    @Override
    @GetMapping("/admin/snapshot")
    public void snapshot(HttpServletResponse response) throws IOException {
        store.readBarrier();
        long index = node.takeSnapshot();
        // Snapshots are rotated (two are kept): one may go between finding and opening it; the next one is newer.
        for (int attempt = 0; ; attempt++) {
            Path file = node.latestSnapshotFile();
            if (file == null) {
                throw new ClusterUnavailableException("no snapshot on this node after taking one at " + index, null);
            }
            try (InputStream digestPass = Files.newInputStream(file); InputStream in = Files.newInputStream(file)) {
                byte[] sha256 = sha256(digestPass);
                long size = Files.size(file);
                response.setStatus(HttpStatus.OK.value());
                response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
                response.setContentLengthLong(size);
                response.setHeader(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"kvstore-" + node.nodeId()
                        + "-" + file.getFileName().toString().replace("snapshot.", "") + ".log\"");
                response.setHeader("Repr-Digest", "sha-256=:" + Base64.getEncoder().encodeToString(sha256) + ":");
                response.setHeader(HttpHeaders.CACHE_CONTROL, "no-store");
                copy(in, response.getOutputStream(), response);
                return;
            } catch (NoSuchFileException e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    private static void copy(InputStream in, OutputStream out, HttpServletResponse response) throws IOException {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            if (!response.isCommitted()) {
                throw e;
            }
            LOG.info("A snapshot was not sent whole: " + e);
        }
    }

    private static byte[] sha256(InputStream in) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (DigestInputStream d = new DigestInputStream(in, digest)) {
                d.transferTo(OutputStream.nullOutputStream());
            }
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** A refused membership change, as a problem of its own type. */
    static final class MemberProblem extends RuntimeException {
        final ProblemType type;

        MemberProblem(ProblemType type, String detail) {
            super(detail, null, false, false);
            this.type = type;
        }
    }

    @ExceptionHandler(MemberProblem.class)
    void memberProblem(MemberProblem e, HttpServletRequest request, HttpServletResponse response) throws IOException {
        ProblemWriter.write(request, response, e.type, sentence(e.getMessage()), Map.of());
    }

    /** Another membership change ran meanwhile, or the configuration is not the one this node knew. */
    @ExceptionHandler(IllegalStateException.class)
    void conflict(IllegalStateException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        ProblemWriter.write(request, response, ProblemType.MEMBERSHIP_CONFLICT, sentence(e.getMessage()), Map.of());
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    void malformed(HttpMessageNotReadableException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        ProblemWriter.write(request, response, ProblemType.MALFORMED_JSON, "The body is not a JSON object with the"
                + " members id and address.", Map.of());
    }

    @ExceptionHandler(ClusterUnavailableException.class)
    void unavailable(ClusterUnavailableException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        LOG.warn("Cluster operation failed: " + e.getMessage());
        response.resetBuffer();
        response.setHeader(HttpHeaders.RETRY_AFTER, "1");
        ProblemWriter.write(request, response, ProblemType.CLUSTER_UNAVAILABLE, sentence(e.getMessage()), Map.of());
    }

    /** The disk failed under a snapshot: the Raft log and the state are unchanged. */
    @ExceptionHandler(IOException.class)
    void diskFailure(IOException e, HttpServletRequest request, HttpServletResponse response) throws IOException {
        LOG.warn("Admin operation failed: " + e);
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        ProblemWriter.write(request, response, ProblemType.ADMIN_OPERATION_FAILED, String.format("It failed on the"
                + " disk (%s). The Raft log and this node's state were not changed, and nothing acknowledged was"
                + " lost.", e.getMessage()), Map.of());
    }

    private static String sentence(String message) {
        String m = message == null || message.isBlank() ? "failed" : message.strip();
        return Character.toUpperCase(m.charAt(0)) + m.substring(1) + (m.endsWith(".") ? "" : ".");
    }
}
