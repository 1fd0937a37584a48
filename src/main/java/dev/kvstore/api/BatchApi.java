package dev.kvstore.api;

import static dev.kvstore.api.KeyApi.PROBLEM;

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
    String INVALID_BATCH = "{\"type\":\"urn:kv-store:problem:invalid-batch\",\"title\":\"Invalid batch\","
            + "\"status\":400,\"detail\":\"Operation 2 repeats the key \\\"a\\\"; each key may appear once in a"
            + " batch.\",\"instance\":\"/batch\"}";
    String INVALID_OPERATION = "{\"type\":\"urn:kv-store:problem:invalid-batch\",\"title\":\"Invalid batch\","
            + "\"status\":400,\"detail\":\"Operation 1 has op \\\"put\\\"; it must be \\\"set\\\" or \\\"delete\\\".\","
            + "\"instance\":\"/batch\"}";
    String EMPTY = "{\"type\":\"urn:kv-store:problem:invalid-batch\",\"title\":\"Invalid batch\",\"status\":400,"
            + "\"detail\":\"The batch has no operation.\",\"instance\":\"/batch\"}";
    String MALFORMED = "{\"type\":\"urn:kv-store:problem:malformed-json\",\"title\":\"Malformed JSON\",\"status\":400,"
            + "\"detail\":\"The body is not valid JSON: Unexpected end-of-input within/between Object entries"
            + " (line 1, column 38)\",\"instance\":\"/batch\"}";
    String UNAUTHORIZED = "{\"type\":\"urn:kv-store:problem:unauthorized\",\"title\":\"Unauthorized\",\"status\":401,"
            + "\"detail\":\"This needs a token: send the header 'Authorization: Bearer <token>'.\","
            + "\"instance\":\"/batch\"}";
    String FORBIDDEN = "{\"type\":\"urn:kv-store:problem:forbidden\",\"title\":\"Forbidden\",\"status\":403,"
            + "\"detail\":\"This token is limited to a key prefix that the key of operation 1 is not under.\","
            + "\"instance\":\"/batch\"}";
    String PRECONDITION_FAILED = "{\"type\":\"urn:kv-store:problem:precondition-failed\",\"title\":\"Precondition"
            + " failed\",\"status\":412,\"detail\":\"The precondition of operation 0 (set \\\"a\\\") does not hold:"
            + " the key is at revision 19. Nothing was written.\",\"instance\":\"/batch\",\"failedOperation\":0,"
            + "\"results\":[{\"op\":\"set\",\"key\":\"a\",\"outcome\":\"precondition-failed\",\"revision\":19,"
            + "\"createRevision\":5},{\"op\":\"set\",\"key\":\"b\",\"outcome\":\"aborted\"},{\"op\":\"delete\","
            + "\"key\":\"c\",\"outcome\":\"aborted\",\"revision\":12,\"createRevision\":12}]}";
    String TOO_MANY = "{\"type\":\"urn:kv-store:problem:too-large\",\"title\":\"Content too large\",\"status\":413,"
            + "\"detail\":\"The batch has 129 operations; the limit is 128.\",\"instance\":\"/batch\"}";
    String TOO_BIG = "{\"type\":\"urn:kv-store:problem:too-large\",\"title\":\"Content too large\",\"status\":413,"
            + "\"detail\":\"The batch's operations take 16777300 bytes in the log; the limit is 16777216.\","
            + "\"instance\":\"/batch\"}";
    String UNSUPPORTED = "{\"title\":\"Unsupported Media Type\",\"status\":415,"
            + "\"detail\":\"Content-Type 'text/plain' is not supported.\",\"instance\":\"/batch\"}";
    String UNAVAILABLE = "{\"type\":\"urn:kv-store:problem:store-unavailable\",\"title\":\"Store unavailable\","
            + "\"status\":503,\"detail\":\"The write-ahead log failed (IOException: No space left on device); the"
            + " store is read-only until it is restarted.\",\"instance\":\"/batch\"}";

    String UNKNOWN_LEASE = "{\"type\":\"urn:kv-store:problem:unknown-lease\",\"title\":\"Unknown lease\","
            + "\"status\":409,\"detail\":\"The lease \\\"40\\\" of operation 1 (set \\\"b\\\") does not exist: it"
            + " expired, was revoked, or never was. Nothing was written.\",\"instance\":\"/batch\","
            + "\"failedOperation\":1,\"lease\":\"40\",\"results\":[{\"op\":\"set\",\"key\":\"a\",\"outcome\":"
            + "\"aborted\"},{\"op\":\"set\",\"key\":\"b\",\"outcome\":\"lease-not-found\"}]}";
    String IN_FLIGHT = "{\"type\":\"urn:kv-store:problem:idempotency-key-in-flight\",\"title\":\"Idempotency key"
            + " in flight\",\"status\":409,\"detail\":\"The first request with the Idempotency-Key \\\"b-7\\\" is"
            + " still being processed; nothing was done. Repeat this request once it is answered, and you get its"
            + " answer.\",\"instance\":\"/batch\"}";
    String REUSED = "{\"type\":\"urn:kv-store:problem:idempotency-key-reused\",\"title\":\"Idempotency key"
            + " reused\",\"status\":422,\"detail\":\"The Idempotency-Key \\\"b-7\\\" was used before for a"
            + " different request (method, path, query, conditional headers or body); nothing was done. Use a new key"
            + " for a new request.\",\"instance\":\"/batch\"}";
    String INVALID_IDEMPOTENCY_KEY = "{\"type\":\"urn:kv-store:problem:invalid-idempotency-key\",\"title\":"
            + "\"Invalid idempotency key\",\"status\":400,\"detail\":\"Send one Idempotency-Key header, not 2.\","
            + "\"instance\":\"/batch\"}";

    String OVERLOADED = "{\"type\":\"urn:kv-store:problem:overloaded\",\"title\":\"Overloaded\",\"status\":503,"
            + "\"detail\":\"The server is at its limit of request bytes in flight (kv.limits.max-inflight-bytes);"
            + " nothing of this request was done. Retry after 1 s.\",\"instance\":\"/batch\"}";

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
                    oneOf = {String.class, Long.class, Double.class})
            Object value,
            @Schema(description = "Only if the key is at this revision", format = "int64", minimum = "1",
                    example = "17")
            Long ifRevision,
            @Schema(description = "true: only if the key has no value; not with ifRevision") Boolean ifAbsent,
            @Schema(description = "For a set: attach the key to this lease (an id from POST /leases); without it, a"
                    + " set leaves the key with no lease", example = "40") String lease) {
    }

    @Operation(summary = "Apply several writes atomically",
            description = "Applies sets and deletes all together, or none of them: they are written as one log"
                    + " record under ONE revision, which every key written gets, so no reader (GET, a page of GET"
                    + " /keys) and no crash ever sees part of a batch. Each key may appear once. An operation may"
                    + " have a precondition (ifRevision, ifAbsent); if any fails, nothing is applied and the answer is"
                    + " 412. A set may attach its key to a lease (lease); if that lease does not exist, nothing is"
                    + " applied and the answer is 409 unknown-lease. Limits: kv.batch.max-operations (128) operations"
                    + " and kv.batch.max-size (16MB) of log bytes. With Idempotency-Key, a batch is safe to repeat: it"
                    + " is applied once, and a repeat gets the first answer.")
    @io.swagger.v3.oas.annotations.Parameters(@Parameter(name = "Idempotency-Key",
            in = io.swagger.v3.oas.annotations.enums.ParameterIn.HEADER, description = KeyApi.IDEMPOTENCY_KEY,
            schema = @Schema(type = "string", maxLength = 257)))
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
            mediaType = "application/json", schema = @Schema(implementation = BatchRequest.class),
            examples = @ExampleObject(name = "batch", value = REQUEST)))
    @ApiResponse(responseCode = "200", description = "Applied: the batch's revision and each operation's outcome"
            + " (created, replaced, deleted, or not-found for a delete of a key with no value)",
            headers = @Header(name = "Idempotent-Replayed", description = KeyApi.IDEMPOTENT_REPLAYED,
                    schema = @Schema(type = "string", allowableValues = "true")),
            content = @Content(schema = @Schema(implementation = BatchView.class),
                    examples = @ExampleObject(value = APPLIED)))
    @ApiResponse(responseCode = "400", description = "Malformed JSON, no operation, a key twice, an invalid key or"
            + " value, an unknown member or op; nothing was applied",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = KeyApi.Problem.class),
                    examples = {
                            @ExampleObject(name = "repeated-key", value = INVALID_BATCH),
                            @ExampleObject(name = "invalid-operation", value = INVALID_OPERATION),
                            @ExampleObject(name = "empty", value = EMPTY),
                            @ExampleObject(name = "malformed-json", value = MALFORMED),
                            @ExampleObject(name = "invalid-idempotency-key", value = INVALID_IDEMPOTENCY_KEY)}))
    @ApiResponse(responseCode = "401", description = "No token, or an unknown one",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = KeyApi.Problem.class),
                    examples = @ExampleObject(value = UNAUTHORIZED)))
    @ApiResponse(responseCode = "403", description = "The token may not write, or is limited to a key prefix that"
            + " a key of the batch is not under; nothing was applied",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = KeyApi.Problem.class),
                    examples = @ExampleObject(value = FORBIDDEN)))
    @ApiResponse(responseCode = "409", description = "unknown-lease: a set names a lease that does not exist;"
            + " nothing was applied (failedOperation, lease, and results with lease-not-found or aborted). Or "
            + KeyApi.IN_FLIGHT_DESCRIPTION,
            headers = @Header(name = "Retry-After", description = "Seconds to wait, on idempotency-key-in-flight",
                    schema = @Schema(type = "integer")),
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = KeyApi.Problem.class),
                    examples = {
                            @ExampleObject(name = "unknown-lease", value = UNKNOWN_LEASE),
                            @ExampleObject(name = "idempotency-key-in-flight", value = IN_FLIGHT)}))
    @ApiResponse(responseCode = "422", description = "idempotency-key-reused: the Idempotency-Key was used for a"
            + " different request; nothing was done",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = KeyApi.Problem.class),
                    examples = @ExampleObject(value = REUSED)))
    @ApiResponse(responseCode = "412", description = "A precondition failed; nothing was applied. failedOperation is"
            + " the index of the first failed operation; results has every operation, with outcome"
            + " precondition-failed or aborted and the key's current revision",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = KeyApi.Problem.class),
                    examples = @ExampleObject(value = PRECONDITION_FAILED)))
    @ApiResponse(responseCode = "413", description = "More operations than kv.batch.max-operations, more log bytes"
            + " than kv.batch.max-size, or a body or value above its limit",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = KeyApi.Problem.class),
                    examples = {
                            @ExampleObject(name = "operations", value = TOO_MANY),
                            @ExampleObject(name = "size", value = TOO_BIG)}))
    @ApiResponse(responseCode = "415", description = "Content-Type is not application/json",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = KeyApi.Problem.class),
                    examples = @ExampleObject(value = UNSUPPORTED)))
    @ApiResponse(responseCode = "503", description = "The log failed; the store is read-only until restarted, and"
            + " nothing of the batch was applied. Or: " + KeyApi.OVERLOADED_DESCRIPTION,
            headers = @Header(name = "Retry-After", description = KeyApi.RETRY_AFTER,
                    schema = @Schema(type = "integer")),
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = KeyApi.Problem.class),
                    examples = {@ExampleObject(name = "store-unavailable", value = UNAVAILABLE),
                            @ExampleObject(name = "overloaded", value = OVERLOADED)}))
    BatchView batch(@Parameter(hidden = true) HttpServletRequest request,
                    @Parameter(hidden = true) HttpServletResponse response) throws IOException;
}
