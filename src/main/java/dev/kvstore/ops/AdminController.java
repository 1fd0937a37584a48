package dev.kvstore.ops;

import dev.kvstore.replication.SingleNodeMode;
import dev.kvstore.problem.ProblemType;
import dev.kvstore.problem.ProblemWriter;
import dev.kvstore.store.CompactionResult;
import dev.kvstore.store.Snapshot;
import dev.kvstore.store.WalKeyValueStore;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Map;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /admin/compaction} and {@code GET /admin/snapshot}. Refusals (already running, no room on the disk)
 * are problems from the API's exception handler; a compaction or snapshot that failed on the disk is a 503 here.
 */
@RestController
@SingleNodeMode
class AdminController implements AdminApi {

    private static final Log LOG = LogFactory.getLog(AdminController.class);
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final WalKeyValueStore store;

    AdminController(WalKeyValueStore store) {
        this.store = store;
    }

    @Override
    @PostMapping(path = "/admin/compaction", produces = MediaType.APPLICATION_JSON_VALUE)
    public CompactionView compact() throws IOException {
        return CompactionView.of(store.compact());
    }

    @Override
    @GetMapping("/admin/snapshot")
    public void snapshot(HttpServletResponse response) throws IOException {
        try (Snapshot snapshot = store.snapshot()) {
            response.setStatus(HttpStatus.OK.value());
            response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
            response.setContentLengthLong(snapshot.size());
            response.setHeader("Content-Disposition",
                    "attachment; filename=\"kvstore-" + STAMP.format(snapshot.takenAt()) + ".log\"");
            // RFC 9530: lets the receiver check that the whole snapshot arrived intact.
            response.setHeader("Repr-Digest",
                    "sha-256=:" + Base64.getEncoder().encodeToString(snapshot.sha256()) + ":");
            response.setHeader("Cache-Control", "no-store");
            try {
                snapshot.transferTo(response.getOutputStream());
            } catch (IOException e) {
                if (!response.isCommitted()) {
                    throw e;
                }
                // Mostly a client that went away; its copy is short of Content-Length, which it can tell.
                LOG.info("A snapshot was not sent whole: " + e);
            }
        }
    }

    /** The disk failed under a compaction or a snapshot: the old log stays in use, nothing was lost. */
    @ExceptionHandler(IOException.class)
    void diskFailure(IOException e, HttpServletRequest request, HttpServletResponse response) throws IOException {
        LOG.warn("Admin operation failed: " + e);
        response.resetBuffer();
        ProblemWriter.write(request, response, ProblemType.ADMIN_OPERATION_FAILED, String.format(
                "It failed on the disk (%s). The log in use was not changed, and nothing acknowledged was lost.",
                e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), Map.of());
    }

    /** What one compaction did, as {@code POST /admin/compaction} and the health details show it. */
    record CompactionView(String trigger, String outcome, String startedAt, long bytesBefore, long bytesAfter,
                          long liveBytes, long entries, double durationMs, double pauseMs, String failure) {

        static CompactionView of(CompactionResult r) {
            return new CompactionView(r.trigger().name().toLowerCase(java.util.Locale.ROOT),
                    r.outcome().name().toLowerCase(java.util.Locale.ROOT), r.startedAt().toString(), r.bytesBefore(),
                    r.bytesAfter(), r.liveBytes(), r.entries(), r.duration().toNanos() / 1e6,
                    r.pause().toNanos() / 1e6, r.failure());
        }
    }
}
