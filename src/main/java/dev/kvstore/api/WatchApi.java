package dev.kvstore.api;

import static dev.kvstore.api.OpenApiConfiguration.PROBLEM;
import static dev.kvstore.api.OpenApiConfiguration.PROBLEM_SCHEMA;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.Parameters;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.context.request.async.DeferredResult;

/** The OpenAPI description of {@code GET /watch}, kept apart from {@link WatchController}'s logic. */
@Tag(name = "watch")
interface WatchApi {

    String STREAM = ": watching from revision 41\n\n"
            + "id: 41\nevent: change\ndata: {\"revision\":41,\"changes\":[{\"op\":\"put\",\"key\":\"app/config\","
            + "\"type\":\"string\",\"value\":\"on\",\"createRevision\":17,\"previous\":{\"type\":\"string\","
            + "\"value\":\"off\",\"revision\":30,\"createRevision\":17}}]}\n\n"
            + "id: 42\nevent: change\ndata: {\"revision\":42,\"changes\":[{\"op\":\"put\",\"key\":\"app/a\","
            + "\"type\":\"integer\",\"value\":1,\"createRevision\":42,\"previous\":null},{\"op\":\"delete\","
            + "\"key\":\"app/b\",\"previous\":{\"type\":\"float\",\"value\":0.5,\"revision\":12,"
            + "\"createRevision\":12}}]}\n\n"
            + "id: 57\nevent: progress\ndata: {\"revision\":57}\n\n";
    String PAGE = "{\"revision\":57,\"nextRevision\":58,\"events\":[{\"revision\":41,\"changes\":[{\"op\":\"put\","
            + "\"key\":\"app/config\",\"type\":\"string\",\"value\":\"on\",\"createRevision\":17,\"previous\":{"
            + "\"type\":\"string\",\"value\":\"off\",\"revision\":30,\"createRevision\":17}}]}]}";
    String EMPTY_PAGE = "{\"revision\":57,\"nextRevision\":58,\"events\":[]}";

    @Operation(summary = "Watch changes under a prefix",
            description = "Every revision that changed a key under `prefix`, in revision order, once each, a batch"
                    + " as one event, each change with the entry before it.\n\n"
                    + "**Stream** (`Accept: text/event-stream`, as the browser's `EventSource` sends): Server-Sent"
                    + " Events. `event: change` has the revision as `id` and the event as JSON in `data`;"
                    + " `event: progress` (`id` and `data.revision`: the revision reached) comes at least every"
                    + " kv.watch.progress-interval (10 s) while nothing else is sent, so a client's resume point"
                    + " moves on a quiet prefix. A reconnect with `Last-Event-ID: N` resumes at N + 1 (it takes"
                    + " precedence over `fromRevision`). A client that takes no bytes for kv.watch.send-timeout"
                    + " while events wait is disconnected and resumes the same way; one whose position falls out"
                    + " of the history gets a last `event: compacted` (the 410 problem as data).\n\n"
                    + "**Long poll** (`Accept: application/json`): answers as soon as a change under the prefix"
                    + " exists from `fromRevision` on, with up to `limit` events, or with none when `wait` runs out;"
                    + " poll again from `nextRevision`, and no change is missed in between.\n\n"
                    + "Without `fromRevision`, the watch starts after the current revision. To watch from a known"
                    + " state, list the keys (`GET /keys`: every page carries the revision it was read at) and"
                    + " watch from the first page's revision + 1.")
    @Parameters({
            @Parameter(name = "prefix", in = ParameterIn.QUERY, description = "Only keys that start with this"
                    + " string; empty or absent watches every key (a token limited to a prefix must name one under"
                    + " it)", schema = @Schema(type = "string"), example = "app/"),
            @Parameter(name = "fromRevision", in = ParameterIn.QUERY, description = "The first revision to report;"
                    + " absent: the one after the current revision", schema = @Schema(type = "integer",
                    format = "int64", minimum = "1")),
            @Parameter(name = "wait", in = ParameterIn.QUERY, description = "Long poll only: how long to wait for"
                    + " a change, such as `30s`, `500ms` or `2m` (a bare number is seconds); absent: answer at once."
                    + " Capped by kv.watch.max-wait (60 s by default)", schema = @Schema(type = "string",
                    example = "30s")),
            @Parameter(name = "limit", in = ParameterIn.QUERY, description = "Long poll only: most events in the"
                    + " answer, 1 to kv.watch.max-events (1000 by default)", schema = @Schema(type = "integer",
                    format = "int32", minimum = "1", maximum = "1000", defaultValue = "1000")),
            @Parameter(name = "Last-Event-ID", in = ParameterIn.HEADER, description = "Stream only: the `id` of the"
                    + " last event received; the stream resumes after it. `EventSource` sends it when it reconnects",
                    schema = @Schema(type = "integer", format = "int64", minimum = "0"))})
    @ApiResponse(responseCode = "200", description = "A stream of events, or the events of a long poll",
            content = {
                    @Content(mediaType = "application/json", schema = @Schema(implementation = WatchPage.class),
                            examples = {@ExampleObject(name = "events", value = PAGE),
                                    @ExampleObject(name = "wait ran out", value = EMPTY_PAGE)}),
                    @Content(mediaType = "text/event-stream", schema = @Schema(type = "string",
                            description = "Server-Sent Events: change (data: WatchEvent), progress (data:"
                                    + " {\"revision\": n}), compacted (data: the 410 problem); comment lines keep"
                                    + " the connection alive"),
                            examples = @ExampleObject(name = "stream", value = STREAM))})
    @ApiResponse(responseCode = "400", description = "An unknown or repeated parameter, a fromRevision, limit or"
            + " wait that is not valid, wait or limit on a stream, or a Last-Event-ID that is not a revision",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "401", description = "No token, or an unknown one",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "403", description = "The token may not read, or is limited to a key prefix that"
            + " `prefix` is not under (an empty prefix included)",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "410", description = "The start (fromRevision, or Last-Event-ID + 1) is older than"
            + " the history the server holds; compactRevision is the oldest revision a watch can start from. List"
            + " the keys, then watch from the listing's revision + 1",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    DeferredResult<WatchPage> watch(@Parameter(hidden = true) HttpServletRequest request,
                                    @Parameter(hidden = true) HttpServletResponse response) throws IOException;
}
