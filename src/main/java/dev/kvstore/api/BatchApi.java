package dev.kvstore.api;

import static dev.kvstore.api.OpenApiConfiguration.PROBLEM;
import static dev.kvstore.api.OpenApiConfiguration.PROBLEM_SCHEMA;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;

/** The OpenAPI description of {@code POST /batch}, kept apart from {@link BatchController}'s logic. */
@Tag(name = "batch", description = "Several writes applied together, or not at all")
interface BatchApi {

    String REQUEST = "{\"operations\":[{\"op\":\"set\",\"key\":\"a\",\"type\":\"integer\",\"value\":1,"
            + "\"ifRevision\":17},"
            + "{\"op\":\"set\",\"key\":\"b\",\"type\":\"string\",\"value\":\"x\",\"ifAbsent\":true},"
            + "{\"op\":\"delete\",\"key\":\"c\"}]}";
    String APPLIED = "{\"revision\":18,\"results\":[{\"op\":\"set\",\"key\":\"a\",\"outcome\":\"replaced\","
            + "\"revision\":18,\"createRevision\":5},{\"op\":\"set\",\"key\":\"b\",\"outcome\":\"created\","
            + "\"revision\":18,\"createRevision\":18},{\"op\":\"delete\",\"key\":\"c\",\"outcome\":\"deleted\"}]}";

    @Schema(name = "BatchRequest", description = "The operations of a batch, applied in order")
    record BatchRequest(
            @ArraySchema(minItems = 1, maxItems = 128, arraySchema = @Schema(requiredMode =
                    Schema.RequiredMode.REQUIRED, description = "1 to kv.batch.max-operations (128 by default)"
                    + " operations, each on a different key"))
            List<OperationRequest> operations) {
    }

    @Schema(name = "BatchOperation", description = "A set (with type and value) or a delete of one key, with an"
            + " optional precondition")
    record OperationRequest(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = {"set", "delete"}) String op,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "a") String key,
            @Schema(description = "For a set: the value's type", allowableValues = {"string", "integer", "float"})
            String type,
            @Schema(description = "For a set: the value, a JSON string, 64-bit integer or finite number per type",
                    anyOf = {String.class, Long.class, Double.class})
            Object value,
            @Schema(description = "Only if the key is at this revision", format = "int64", minimum = "1",
                    example = "17")
            Long ifRevision,
            @Schema(description = "true: only if the key has no value; not with ifRevision") Boolean ifAbsent,
            @Schema(description = "For a set: attach the key to this lease (an id from POST /leases); without it, a"
                    + " set leaves the key with no lease", pattern = KeyApiDoc.LEASE_PATTERN, example = "40")
            String lease) {
    }

    @Operation(summary = "Apply several writes atomically",
            description = "Applies sets and deletes all together, or none of them: they are written as one log"
                    + " record under ONE revision, which every key written gets, so no reader (GET, a page of GET"
                    + " /keys) and no crash ever sees part of a batch. Each key may appear once. An operation may"
                    + " have a precondition (ifRevision, ifAbsent); if any fails, nothing is applied and the answer is"
                    + " 412. A set may attach its key to a lease (lease); if that lease does not exist, nothing is"
                    + " applied and the answer is 409 unknown-lease. Limits: kv.batch.max-operations (128) operations"
                    + " and kv.batch.max-size (16MB) of log bytes. With an Idempotency-Key, a batch is safe to"
                    + " repeat: it is applied once, and a repeat gets the first answer.")
    @Parameter(name = "Idempotency-Key", in = io.swagger.v3.oas.annotations.enums.ParameterIn.HEADER,
            description = KeyApiDoc.IDEMPOTENCY_KEY, schema = @Schema(type = "string"))
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
            mediaType = "application/json", schema = @Schema(implementation = BatchRequest.class),
            examples = @ExampleObject(name = "batch", value = REQUEST)))
    @ApiResponse(responseCode = "200", description = "Applied: the batch's revision and each operation's outcome"
            + " (created, replaced, deleted, or not-found for a delete of a key with no value)",
            headers = @Header(name = "Idempotent-Replayed", description = KeyApiDoc.IDEMPOTENT_REPLAYED,
                    schema = @Schema(type = "string", allowableValues = "true")),
            content = @Content(schema = @Schema(implementation = BatchView.class),
                    examples = @ExampleObject(value = APPLIED)))
    @ApiResponse(responseCode = "400", description = "Malformed JSON, no operation, a key twice, an invalid key or"
            + " value, an unknown member or op; nothing was applied",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "401", description = "No token, or an unknown one",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "403", description = "The token may not write, or is limited to a key prefix that"
            + " a key of the batch is not under; nothing was applied",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "409", description = "A set names a lease that does not exist (failedOperation,"
            + " lease, and results with lease-not-found or aborted), or the Idempotency-Key's first request is still"
            + " being processed; nothing was applied",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "422", description = "The Idempotency-Key was used before for another request;"
            + " nothing was applied",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "412", description = "A precondition failed; nothing was applied. failedOperation is"
            + " the index of the first failed operation; results has every operation, with outcome"
            + " precondition-failed or aborted and the key's current revision",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "413", description = "More operations than kv.batch.max-operations, more log bytes"
            + " than kv.batch.max-size, or a body or value above its limit",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "415", description = "Content-Type is not application/json",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "503", description = "The log failed; the store is read-only until restarted, and"
            + " nothing of the batch was applied. Or: " + OpenApiConfiguration.OVERLOADED_DESCRIPTION,
            headers = @Header(name = "Retry-After", description = OpenApiConfiguration.RETRY_AFTER,
                    schema = @Schema(type = "integer")),
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    BatchView batch(@Parameter(hidden = true) HttpServletRequest request,
                    @Parameter(hidden = true) HttpServletResponse response) throws IOException;
}
