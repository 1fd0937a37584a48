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

/** The OpenAPI description of the admin operations, kept apart from {@link AdminController}'s logic. */
@Tag(name = "admin", description = "Compaction and backup; needs an admin token")
interface AdminApi {

    String PROBLEM = "application/problem+json";
    String PROBLEM_SCHEMA = "#/components/schemas/Problem";
    String COMPACTED = "{\"trigger\":\"manual\",\"outcome\":\"completed\",\"startedAt\":\"2026-11-29T10:15:00.123Z\","
            + "\"bytesBefore\":41000000,\"bytesAfter\":410000,\"liveBytes\":410000,\"entries\":10000,"
            + "\"durationMs\":38.2,\"pauseMs\":1.4,\"failure\":null}";

    @Operation(summary = "Compact the log now",
            description = "Rewrites the log so that it holds only the live entries, and answers when the new log is"
                    + " in place. Reads and writes go on meanwhile; writes pause briefly (pauseMs) while the new log"
                    + " takes over. Compaction also starts on its own (kv.compaction.*).")
    @ApiResponse(responseCode = "200", description = "Compacted: sizes before and after, and how long it took",
            content = @Content(schema = @Schema(implementation = AdminController.CompactionView.class),
                    examples = @ExampleObject(value = COMPACTED)))
    @ApiResponse(responseCode = "409", description = "A compaction is already running",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "503", description = "The disk failed during compaction (the old log stays in"
            + " use), or the store is read-only after a failure of its log",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "507", description = "The disk lacks room for a second copy of the live data",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    AdminController.CompactionView compact() throws IOException;

    @Operation(summary = "Download a consistent snapshot",
            description = "Streams a point-in-time copy of the store in the log format, while writes go on. It holds"
                    + " every write acknowledged before the request. To restore it, place it as kvstore.log in an"
                    + " empty data directory, or start with kv.restore.from pointing at it.")
    @ApiResponse(responseCode = "200", description = "The snapshot, a log in the seed frame format",
            headers = {
                    @Header(name = "Repr-Digest", description = "SHA-256 of the whole body (RFC 9530)",
                            schema = @Schema(type = "string", example = "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:")),
                    @Header(name = "Content-Disposition", description = "A file name with the snapshot's time",
                            schema = @Schema(type = "string"))},
            content = @Content(mediaType = "application/octet-stream",
                    schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "503", description = "The disk failed while the snapshot was written",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "507", description = "The disk lacks room for the snapshot's temporary copy",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    void snapshot(@Parameter(hidden = true) HttpServletResponse response) throws IOException;
}
