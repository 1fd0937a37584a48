package dev.kvstore.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.Parameters;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.DiscriminatorMapping;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.ResponseEntity;

/** The OpenAPI description of {@code /keys/{key}}, kept apart from {@link KeyController}'s logic. */
@Tag(name = "keys", description = "Typed values stored under keys")
interface KeyApi {

    String KEY_DESCRIPTION = "The key: the rest of the path, percent-decoded once as UTF-8, 1 to 1024 bytes by"
            + " default. It may contain `/` (`/keys/a/b/c` is the key `a/b/c`), sent as is or as `%2F`.";
    String PROBLEM = "application/problem+json";

    @Schema(name = "Problem", description = "RFC 9457 problem details, with extension members of some types"
            + " (currentRevision, failedOperation, results)")
    record Problem(@Schema(format = "uri", description = "The kind of problem; absent means about:blank") String type,
                   @Schema(description = "Short summary of the kind of problem") String title,
                   @Schema(description = "The HTTP status") int status,
                   @Schema(description = "What went wrong with this request, and how to fix it") String detail,
                   @Schema(format = "uri-reference", description = "The request path") String instance) {
    }

    String INVALID_KEY = "{\"type\":\"urn:kv-store:problem:invalid-key\",\"title\":\"Invalid key\",\"status\":400,"
            + "\"detail\":\"The key is 1025 UTF-8 bytes; the limit is 1024.\",\"instance\":\"/keys/kkk...\"}";
    String INVALID_VALUE = "{\"type\":\"urn:kv-store:problem:invalid-value\",\"title\":\"Invalid value\","
            + "\"status\":400,\"detail\":\"A value of this type must be a JSON integer, not a number with a fraction"
            + " or exponent.\",\"instance\":\"/keys/answer\"}";
    String NOT_FOUND = "{\"type\":\"urn:kv-store:problem:key-not-found\",\"title\":\"Key not found\",\"status\":404,"
            + "\"detail\":\"No value is stored under the key \\\"greeting\\\".\",\"instance\":\"/keys/greeting\"}";
    String TOO_LARGE = "{\"type\":\"urn:kv-store:problem:too-large\",\"title\":\"Content too large\",\"status\":413,"
            + "\"detail\":\"The value is 4194305 UTF-8 bytes; the limit is 4194304.\",\"instance\":\"/keys/big\"}";
    String BODY_TOO_LARGE = "{\"type\":\"urn:kv-store:problem:too-large\",\"title\":\"Content too large\","
            + "\"status\":413,\"detail\":\"The request body is 8454145 bytes; the limit is 8454144 bytes"
            + " (kv.limits.max-request-size).\",\"instance\":\"/keys/counter\"}";
    String UNSUPPORTED = "{\"title\":\"Unsupported Media Type\",\"status\":415,"
            + "\"detail\":\"Content-Type 'text/plain' is not supported.\",\"instance\":\"/keys/greeting\"}";
    String UNAVAILABLE = "{\"type\":\"urn:kv-store:problem:store-unavailable\",\"title\":\"Store unavailable\","
            + "\"status\":503,\"detail\":\"The write-ahead log failed (IOException: No space left on device); the"
            + " store is read-only until it is restarted.\",\"instance\":\"/keys/greeting\"}";

    String OVERLOADED = "{\"type\":\"urn:kv-store:problem:overloaded\",\"title\":\"Overloaded\",\"status\":503,"
            + "\"detail\":\"The server is at its limit of request bytes in flight (kv.limits.max-inflight-bytes);"
            + " nothing of this request was done. Retry after 1 s.\",\"instance\":\"/keys/greeting\"}";
    String OVERLOADED_DESCRIPTION = "the request bodies in flight already fill kv.limits.max-inflight-bytes, and no"
            + " room came free within kv.limits.inflight-wait; nothing was done (overloaded, with Retry-After)";
    String RETRY_AFTER = "Seconds to wait before retrying, on overloaded";

    @Schema(name = "StringValue")
    record StringValue(@Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = "string") String type,
                       @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "hi") String value) {
    }

    @Schema(name = "IntegerValue")
    record IntegerValue(@Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = "integer") String type,
                        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, format = "int64",
                                description = "A JSON integer in the signed 64-bit range", example = "42") long value) {
    }

    @Schema(name = "FloatValue")
    record FloatValue(@Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = "float") String type,
                      @Schema(requiredMode = Schema.RequiredMode.REQUIRED, format = "double",
                              description = "A finite JSON number; 3 is taken as 3.0", example = "3.5") double value) {
    }

    @Schema(name = "TypedValue", description = "A value and its type; the JSON value must match the type",
            oneOf = {StringValue.class, IntegerValue.class, FloatValue.class}, discriminatorProperty = "type",
            discriminatorMapping = {
                    @DiscriminatorMapping(value = "string", schema = StringValue.class),
                    @DiscriminatorMapping(value = "integer", schema = IntegerValue.class),
                    @DiscriminatorMapping(value = "float", schema = FloatValue.class)})
    interface TypedValue {
    }

    String ENTITY_TAG = "The key's revision in quotes, a strong entity tag";
    String IF_MATCH = "Only if the key has a value whose entity tag is in this list (strong comparison; an entity tag"
            + " is the revision in quotes: `\"42\"`), or any value for `*`; otherwise 412, with the key's"
            + " currentRevision. Not `*` or a list of entity tags: 400.";
    String IF_NONE_MATCH_WRITE = "`*`: only if the key has no value (create only). A list of entity tags: only if the"
            + " key's entity tag is none of them (weak comparison). Otherwise 412, with the key's currentRevision.";
    String IF_NONE_MATCH_READ = "When the key's entity tag is in this list (weak comparison: `W/\"42\"` matches"
            + " `\"42\"`), or for `*` when it has a value: 304 Not Modified, with the ETag and no body.";
    String LOCATION = "The URL of the key";

    String ENTRY = "{\"key\":\"greeting\",\"type\":\"string\",\"value\":\"hi\",\"revision\":42,\"createRevision\":17}";
    String MALFORMED = "{\"type\":\"urn:kv-store:problem:malformed-json\",\"title\":\"Malformed JSON\",\"status\":400,"
            + "\"detail\":\"The body is not valid JSON: Unexpected end-of-input within/between Object entries"
            + " (line 1, column 29)\",\"instance\":\"/keys/greeting\"}";
    String MALFORMED_INCREMENT = "{\"type\":\"urn:kv-store:problem:malformed-json\",\"title\":\"Malformed JSON\","
            + "\"status\":400,\"detail\":\"The body is not valid JSON: Unexpected end-of-input within/between Object"
            + " entries (line 1, column 15)\",\"instance\":\"/keys/counter\"}";
    String INVALID_PRECONDITION = "{\"type\":\"urn:kv-store:problem:invalid-precondition\",\"title\":\"Invalid"
            + " precondition\",\"status\":400,\"detail\":\"If-Match must be * or a list of entity tags such as"
            + " \\\"42\\\" (with the quotes), not: 42\",\"instance\":\"/keys/greeting\"}";
    String PRECONDITION_FAILED = "{\"type\":\"urn:kv-store:problem:precondition-failed\",\"title\":\"Precondition"
            + " failed\",\"status\":412,\"detail\":\"The key \\\"greeting\\\" is at revision 43 (ETag \\\"43\\\"), so"
            + " the precondition does not hold; nothing was written.\",\"instance\":\"/keys/greeting\","
            + "\"currentRevision\":43}";
    String PRECONDITION_FAILED_ABSENT = "{\"type\":\"urn:kv-store:problem:precondition-failed\",\"title\":"
            + "\"Precondition failed\",\"status\":412,\"detail\":\"The key \\\"greeting\\\" has no value, so the"
            + " precondition does not hold; nothing was written.\",\"instance\":\"/keys/greeting\","
            + "\"currentRevision\":null}";
    String INVALID_INCREMENT = "{\"type\":\"urn:kv-store:problem:invalid-value\",\"title\":\"Invalid value\","
            + "\"status\":400,\"detail\":\"\\\"increment\\\" must be a JSON number, not a string.\","
            + "\"instance\":\"/keys/counter\"}";
    String NOT_A_NUMBER = "{\"type\":\"urn:kv-store:problem:not-a-number\",\"title\":\"Not a number\",\"status\":409,"
            + "\"detail\":\"The key \\\"greeting\\\" holds a string; only integer and float values can be"
            + " incremented.\",\"instance\":\"/keys/greeting\",\"currentRevision\":42}";
    String TYPE_MISMATCH = "{\"type\":\"urn:kv-store:problem:type-mismatch\",\"title\":\"Type mismatch\","
            + "\"status\":409,\"detail\":\"The key \\\"counter\\\" holds an integer, which takes only an integer step,"
            + " not -0.5.\",\"instance\":\"/keys/counter\",\"currentRevision\":42}";
    String OVERFLOW = "{\"type\":\"urn:kv-store:problem:overflow\",\"title\":\"Overflow\",\"status\":409,"
            + "\"detail\":\"Adding 1 to 9223372036854775807 under the key \\\"counter\\\" leaves the range of a signed"
            + " 64-bit integer; nothing was written.\",\"instance\":\"/keys/counter\",\"currentRevision\":42}";

    String IDEMPOTENCY_KEY = "Makes the request safe to repeat (draft-ietf-httpapi-idempotency-key-header): 1 to"
            + " 255 visible ASCII characters, bare or as a quoted string. The first request with a key is applied and"
            + " its answer remembered (in the same log frame as the write); a repeat with the same key and the same"
            + " request (method, path, query, If-Match, If-None-Match, body) gets the same status and body, with"
            + " Idempotent-Replayed: true, and writes nothing. The same key with another request: 422. A repeat while"
            + " the first is still processed: 409. Keys belong to the caller's token, and are remembered for"
            + " kv.idempotency.retention (24 h by default) within kv.idempotency.max-keys and max-size.";
    String IDEMPOTENT_REPLAYED = "`true` when this answer is the remembered answer to an earlier request with the"
            + " same Idempotency-Key; nothing was written now";
    String LEASE_PARAM = "Attaches the key to this lease (an id from POST /leases): the key is deleted when the lease"
            + " expires or is revoked. A lease that does not exist: 409 unknown-lease.";
    String TTL_PARAM = "Grants a new lease of this time to live for this key alone, in the same revision as the"
            + " write: a whole number of seconds, or with a unit: `30s`, `5m`, `2h` (1 s to 365 days). The entry"
            + " shows the new lease's id. Not with `lease`.";
    String UNKNOWN_LEASE = "{\"type\":\"urn:kv-store:problem:unknown-lease\",\"title\":\"Unknown lease\","
            + "\"status\":409,\"detail\":\"The lease \\\"40\\\" does not exist: it expired, was revoked, or never"
            + " was; nothing was written. Grant a new one with POST /leases.\",\"instance\":\"/keys/session\","
            + "\"lease\":\"40\"}";
    String IN_FLIGHT = "{\"type\":\"urn:kv-store:problem:idempotency-key-in-flight\",\"title\":\"Idempotency key"
            + " in flight\",\"status\":409,\"detail\":\"The first request with the Idempotency-Key \\\"k-1\\\" is"
            + " still being processed; nothing was done. Repeat this request once it is answered, and you get its"
            + " answer.\",\"instance\":\"/keys/counter\"}";
    String REUSED = "{\"type\":\"urn:kv-store:problem:idempotency-key-reused\",\"title\":\"Idempotency key"
            + " reused\",\"status\":422,\"detail\":\"The Idempotency-Key \\\"k-1\\\" was used before for a"
            + " different request (method, path, query, conditional headers or body); nothing was done. Use a new key"
            + " for a new request.\",\"instance\":\"/keys/counter\"}";
    String INVALID_IDEMPOTENCY_KEY = "{\"type\":\"urn:kv-store:problem:invalid-idempotency-key\",\"title\":"
            + "\"Invalid idempotency key\",\"status\":400,\"detail\":\"Idempotency-Key must be 1 to 255 visible"
            + " ASCII characters, bare or as a quoted string (\\\"8e03978e-40d5-43e8-bc93-6894a57f9324\\\").\","
            + "\"instance\":\"/keys/counter\"}";
    String INVALID_LEASE = "{\"type\":\"urn:kv-store:problem:invalid-lease\",\"title\":\"Invalid lease\","
            + "\"status\":400,\"detail\":\"lease must be a lease id as POST /leases answers it, not \\\"abc\\\".\","
            + "\"instance\":\"/keys/session\"}";
    String INVALID_QUERY = "{\"type\":\"urn:kv-store:problem:invalid-query\",\"title\":\"Invalid query\","
            + "\"status\":400,\"detail\":\"Unknown parameter \\\"leese\\\": PUT /keys/{key} takes lease and"
            + " ttl.\",\"instance\":\"/keys/session\"}";
    String IN_FLIGHT_DESCRIPTION = "idempotency-key-in-flight: the first request with this Idempotency-Key is still"
            + " processed (with Retry-After); nothing was done";

    @Schema(name = "IncrementRequest", description = "Adds a number to a key's integer or float value")
    record IncrementRequest(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "1", description = "The step: a JSON"
                    + " integer (signed 64-bit) is an integer step, any other finite number a float step. A missing"
                    + " key is created with the step as its value, typed by the JSON token (5: integer, 5.0: float)")
            Number increment) {
    }

    @Operation(summary = "Read a key",
            description = "Returns the key's typed value and revisions, with its revision as a strong ETag. Floats"
                    + " round-trip exactly. With If-None-Match, answers 304 when the client's copy is current.")
    @Parameters({
            @Parameter(name = "If-Match", in = ParameterIn.HEADER, description = IF_MATCH,
                    schema = @Schema(type = "string")),
            @Parameter(name = "If-None-Match", in = ParameterIn.HEADER, description = IF_NONE_MATCH_READ,
                    schema = @Schema(type = "string"))})
    @ApiResponse(responseCode = "200", description = "The entry",
            headers = @Header(name = "ETag", description = ENTITY_TAG, schema = @Schema(type = "string",
                    example = "\"42\"")),
            content = @Content(schema = @Schema(implementation = EntryView.class), examples = {
                    @ExampleObject(name = "string", value = ENTRY),
                    @ExampleObject(name = "integer", value = "{\"key\":\"answer\",\"type\":\"integer\",\"value\":42,"
                            + "\"revision\":7,\"createRevision\":7}"),
                    @ExampleObject(name = "float", value = "{\"key\":\"pi\",\"type\":\"float\",\"value\":3.5,"
                            + "\"revision\":9,\"createRevision\":8}")}))
    @ApiResponse(responseCode = "304", description = "Not Modified: If-None-Match matches the key's entity tag;"
            + " no body",
            headers = @Header(name = "ETag", description = ENTITY_TAG, schema = @Schema(type = "string",
                    example = "\"42\"")),
            content = @Content)
    @ApiResponse(responseCode = "400", description = "Invalid key (empty, too long, bad percent-encoding or UTF-8),"
            + " or an If-Match or If-None-Match that is not `*` or a list of entity tags",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class), examples = {
                    @ExampleObject(name = "invalid-key", value = INVALID_KEY),
                    @ExampleObject(name = "invalid-precondition", value = INVALID_PRECONDITION)}))
    @ApiResponse(responseCode = "404", description = "No value under this key",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = NOT_FOUND)))
    @ApiResponse(responseCode = "412", description = "If-Match does not hold; currentRevision is the key's"
            + " revision, null when it has no value",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class), examples = {
                    @ExampleObject(name = "changed", value = PRECONDITION_FAILED),
                    @ExampleObject(name = "no-value", value = PRECONDITION_FAILED_ABSENT)}))
    ResponseEntity<EntryView> get(@Parameter(hidden = true) HttpServletRequest request);

    @Operation(summary = "Store a typed value under a key",
            description = "Creates the key (201, with Location) or replaces its value (200), and answers the entry"
                    + " with its new revision and ETag. If-Match makes it a compare-and-set, `If-None-Match: *` a"
                    + " create-only. Under the default durability mode the answer comes only after the write is"
                    + " forced to stable storage. `lease` attaches the key to a lease, `ttl` grants one for it; a"
                    + " PUT with neither leaves the key with no lease. With Idempotency-Key, it is safe to repeat.")
    @Parameters({
            @Parameter(name = "If-Match", in = ParameterIn.HEADER, description = IF_MATCH,
                    schema = @Schema(type = "string")),
            @Parameter(name = "If-None-Match", in = ParameterIn.HEADER, description = IF_NONE_MATCH_WRITE,
                    schema = @Schema(type = "string")),
            @Parameter(name = "Idempotency-Key", in = ParameterIn.HEADER, description = IDEMPOTENCY_KEY,
                    schema = @Schema(type = "string", maxLength = 257)),
            @Parameter(name = "lease", in = ParameterIn.QUERY, description = LEASE_PARAM,
                    schema = @Schema(type = "string", pattern = "^[1-9][0-9]{0,18}$"), example = "40"),
            @Parameter(name = "ttl", in = ParameterIn.QUERY, description = TTL_PARAM,
                    schema = @Schema(type = "string", pattern = "^[1-9][0-9]{0,8}[smh]?$"), example = "30s")})
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
            mediaType = "application/json", schema = @Schema(implementation = TypedValue.class), examples = {
                    @ExampleObject(name = "string", value = "{\"type\":\"string\",\"value\":\"hi\"}"),
                    @ExampleObject(name = "integer", value = "{\"type\":\"integer\",\"value\":42}"),
                    @ExampleObject(name = "float", value = "{\"type\":\"float\",\"value\":3.5}")}))
    @ApiResponse(responseCode = "200", description = "Replaced; the stored entry",
            headers = {
                    @Header(name = "ETag", description = ENTITY_TAG, schema = @Schema(type = "string",
                            example = "\"42\"")),
                    @Header(name = "Idempotent-Replayed", description = IDEMPOTENT_REPLAYED,
                            schema = @Schema(type = "string", allowableValues = "true"))},
            content = @Content(schema = @Schema(implementation = EntryView.class),
                    examples = @ExampleObject(value = ENTRY)))
    @ApiResponse(responseCode = "201", description = "Created; the stored entry, and its URL in Location",
            headers = {
                    @Header(name = "ETag", description = ENTITY_TAG, schema = @Schema(type = "string",
                            example = "\"42\"")),
                    @Header(name = "Location", description = LOCATION, schema = @Schema(type = "string",
                            format = "uri-reference", example = "/keys/greeting")),
                    @Header(name = "Idempotent-Replayed", description = IDEMPOTENT_REPLAYED,
                            schema = @Schema(type = "string", allowableValues = "true"))},
            content = @Content(schema = @Schema(implementation = EntryView.class), examples = {
                    @ExampleObject(name = "created", value = "{\"key\":\"greeting\",\"type\":\"string\","
                            + "\"value\":\"hi\",\"revision\":42,\"createRevision\":42}"),
                    @ExampleObject(name = "with-a-lease", value = "{\"key\":\"session\",\"type\":\"string\","
                            + "\"value\":\"n1\",\"revision\":41,\"createRevision\":41,\"lease\":\"40\"}")}))
    @ApiResponse(responseCode = "400", description = "Invalid key, malformed JSON, unknown type, missing member,"
            + " integer out of range, value not matching its type, NaN or Infinity; or an If-Match or"
            + " If-None-Match that is not `*` or a list of entity tags",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class), examples = {
                    @ExampleObject(name = "invalid-value", value = INVALID_VALUE),
                    @ExampleObject(name = "malformed-json", value = MALFORMED),
                    @ExampleObject(name = "invalid-key", value = INVALID_KEY),
                    @ExampleObject(name = "invalid-precondition", value = INVALID_PRECONDITION),
                    @ExampleObject(name = "invalid-lease", value = INVALID_LEASE),
                    @ExampleObject(name = "invalid-query", value = INVALID_QUERY),
                    @ExampleObject(name = "invalid-idempotency-key", value = INVALID_IDEMPOTENCY_KEY)}))
    @ApiResponse(responseCode = "409", description = "unknown-lease: `lease` names a lease that does not exist"
            + " (expired, revoked, never granted); nothing was written. Or " + IN_FLIGHT_DESCRIPTION,
            headers = @Header(name = "Retry-After", description = "Seconds to wait, on idempotency-key-in-flight",
                    schema = @Schema(type = "integer")),
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class), examples = {
                    @ExampleObject(name = "unknown-lease", value = UNKNOWN_LEASE),
                    @ExampleObject(name = "idempotency-key-in-flight", value = IN_FLIGHT)}))
    @ApiResponse(responseCode = "412", description = "If-Match or If-None-Match does not hold; nothing was written."
            + " currentRevision is the key's revision, null when it has no value",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class), examples = {
                    @ExampleObject(name = "changed", value = PRECONDITION_FAILED),
                    @ExampleObject(name = "no-value", value = PRECONDITION_FAILED_ABSENT)}))
    @ApiResponse(responseCode = "422", description = "idempotency-key-reused: the Idempotency-Key was used for a"
            + " different request; nothing was done",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = REUSED)))
    @ApiResponse(responseCode = "413", description = "Body or value larger than the configured limit",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = TOO_LARGE)))
    @ApiResponse(responseCode = "415", description = "Content-Type is not application/json",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = UNSUPPORTED)))
    @ApiResponse(responseCode = "503", description = "The log failed (disk full, I/O error); the store is"
            + " read-only until restarted, and nothing of this write was applied. Or: " + OVERLOADED_DESCRIPTION,
            headers = @Header(name = "Retry-After", description = RETRY_AFTER, schema = @Schema(type = "integer")),
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class), examples = {
                    @ExampleObject(name = "store-unavailable", value = UNAVAILABLE),
                    @ExampleObject(name = "overloaded", value = OVERLOADED)}))
    ResponseEntity<EntryView> put(@Parameter(hidden = true) HttpServletRequest request,
                                  @Parameter(hidden = true) HttpServletResponse response) throws IOException;

    @Operation(summary = "Delete a key",
            description = "Removes the key. When it has no value, nothing is written. If-Match makes the delete"
                    + " conditional on the key's revision. With Idempotency-Key, a repeat answers as the first"
                    + " did (a 204, not a 404).")
    @Parameters({
            @Parameter(name = "If-Match", in = ParameterIn.HEADER, description = IF_MATCH,
                    schema = @Schema(type = "string")),
            @Parameter(name = "Idempotency-Key", in = ParameterIn.HEADER, description = IDEMPOTENCY_KEY,
                    schema = @Schema(type = "string", maxLength = 257))})
    @ApiResponse(responseCode = "204", description = "Deleted",
            headers = @Header(name = "Idempotent-Replayed", description = IDEMPOTENT_REPLAYED,
                    schema = @Schema(type = "string", allowableValues = "true")))
    @ApiResponse(responseCode = "400", description = "Invalid key, an If-Match that is not `*` or a list of"
            + " entity tags, a query parameter (DELETE takes none), or an invalid Idempotency-Key",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class), examples = {
                    @ExampleObject(name = "invalid-key", value = INVALID_KEY),
                    @ExampleObject(name = "invalid-precondition", value = INVALID_PRECONDITION),
                    @ExampleObject(name = "invalid-idempotency-key", value = INVALID_IDEMPOTENCY_KEY)}))
    @ApiResponse(responseCode = "409", description = IN_FLIGHT_DESCRIPTION,
            headers = @Header(name = "Retry-After", description = "Seconds to wait", schema = @Schema(type = "integer")),
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = IN_FLIGHT)))
    @ApiResponse(responseCode = "422", description = "idempotency-key-reused: the Idempotency-Key was used for a"
            + " different request; nothing was done",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = REUSED)))
    @ApiResponse(responseCode = "404", description = "No value under this key; nothing was written",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = NOT_FOUND)))
    @ApiResponse(responseCode = "412", description = "If-Match does not hold; nothing was written. currentRevision"
            + " is the key's revision, null when it has no value",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class), examples = {
                    @ExampleObject(name = "changed", value = PRECONDITION_FAILED),
                    @ExampleObject(name = "no-value", value = PRECONDITION_FAILED_ABSENT)}))
    @ApiResponse(responseCode = "503", description = "The log failed; the store is read-only until restarted",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = UNAVAILABLE)))
    ResponseEntity<Void> delete(@Parameter(hidden = true) HttpServletRequest request,
                                @Parameter(hidden = true) HttpServletResponse response);

    @Operation(summary = "Increment a number atomically",
            description = "Adds `increment` to the key's value in one atomic write and answers the entry with its"
                    + " new value, revision and ETag. An integer key takes an integer step (a result outside the"
                    + " signed 64-bit range is a 409 overflow, and nothing is written); a float key takes any"
                    + " number. A missing key is created with the step as its value (201, with Location), typed by"
                    + " the JSON token: `5` makes an integer, `5.0` a float. A string key, or a fractional step on"
                    + " an integer key, is a 409; every 409 carries the key's currentRevision. If-Match and"
                    + " If-None-Match work as for PUT. The key keeps its lease, unless `lease` names another one."
                    + " With Idempotency-Key, it is safe to repeat: the increment is applied once.")
    @Parameters({
            @Parameter(name = "If-Match", in = ParameterIn.HEADER, description = IF_MATCH,
                    schema = @Schema(type = "string")),
            @Parameter(name = "If-None-Match", in = ParameterIn.HEADER, description = IF_NONE_MATCH_WRITE,
                    schema = @Schema(type = "string")),
            @Parameter(name = "Idempotency-Key", in = ParameterIn.HEADER, description = IDEMPOTENCY_KEY,
                    schema = @Schema(type = "string", maxLength = 257)),
            @Parameter(name = "lease", in = ParameterIn.QUERY, description = LEASE_PARAM,
                    schema = @Schema(type = "string", pattern = "^[1-9][0-9]{0,18}$"), example = "40")})
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
            mediaType = "application/json", schema = @Schema(implementation = IncrementRequest.class), examples = {
                    @ExampleObject(name = "integer", value = "{\"increment\": 1}"),
                    @ExampleObject(name = "float", value = "{\"increment\": -0.5}")}))
    @ApiResponse(responseCode = "200", description = "Incremented; the entry with its new value and revision",
            headers = {
                    @Header(name = "ETag", description = ENTITY_TAG, schema = @Schema(type = "string",
                            example = "\"43\"")),
                    @Header(name = "Idempotent-Replayed", description = IDEMPOTENT_REPLAYED,
                            schema = @Schema(type = "string", allowableValues = "true"))},
            content = @Content(schema = @Schema(implementation = EntryView.class), examples = @ExampleObject(
                    value = "{\"key\":\"counter\",\"type\":\"integer\",\"value\":8,\"revision\":43,"
                            + "\"createRevision\":17}")))
    @ApiResponse(responseCode = "201", description = "Created with the step as its value; the entry, and its URL in"
            + " Location",
            headers = {
                    @Header(name = "ETag", description = ENTITY_TAG, schema = @Schema(type = "string",
                            example = "\"43\"")),
                    @Header(name = "Location", description = LOCATION, schema = @Schema(type = "string",
                            format = "uri-reference", example = "/keys/counter")),
                    @Header(name = "Idempotent-Replayed", description = IDEMPOTENT_REPLAYED,
                            schema = @Schema(type = "string", allowableValues = "true"))},
            content = @Content(schema = @Schema(implementation = EntryView.class), examples = @ExampleObject(
                    value = "{\"key\":\"counter\",\"type\":\"integer\",\"value\":1,\"revision\":43,"
                            + "\"createRevision\":43}")))
    @ApiResponse(responseCode = "400", description = "Invalid key; a body that is not valid JSON or not"
            + " {\"increment\": <finite number>} (an integer step outside the signed 64-bit range included); or an"
            + " If-Match or If-None-Match that is not `*` or a list of entity tags",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class), examples = {
                    @ExampleObject(name = "invalid-value", value = INVALID_INCREMENT),
                    @ExampleObject(name = "malformed-json", value = MALFORMED_INCREMENT),
                    @ExampleObject(name = "invalid-key", value = INVALID_KEY),
                    @ExampleObject(name = "invalid-precondition", value = INVALID_PRECONDITION),
                    @ExampleObject(name = "invalid-lease", value = INVALID_LEASE),
                    @ExampleObject(name = "invalid-idempotency-key", value = INVALID_IDEMPOTENCY_KEY)}))
    @ApiResponse(responseCode = "409", description = "The key holds a string (not-a-number), an integer and the"
            + " step has a fraction (type-mismatch), or the result leaves the value's range (overflow); nothing"
            + " was written, and currentRevision is the key's revision. Or unknown-lease: `lease` names a lease"
            + " that does not exist. Or " + IN_FLIGHT_DESCRIPTION,
            headers = @Header(name = "Retry-After", description = "Seconds to wait, on idempotency-key-in-flight",
                    schema = @Schema(type = "integer")),
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class), examples = {
                    @ExampleObject(name = "not-a-number", value = NOT_A_NUMBER),
                    @ExampleObject(name = "type-mismatch", value = TYPE_MISMATCH),
                    @ExampleObject(name = "overflow", value = OVERFLOW),
                    @ExampleObject(name = "unknown-lease", value = UNKNOWN_LEASE),
                    @ExampleObject(name = "idempotency-key-in-flight", value = IN_FLIGHT)}))
    @ApiResponse(responseCode = "412", description = "If-Match or If-None-Match does not hold; nothing was written."
            + " currentRevision is the key's revision, null when it has no value",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class), examples = {
                    @ExampleObject(name = "changed", value = PRECONDITION_FAILED),
                    @ExampleObject(name = "no-value", value = PRECONDITION_FAILED_ABSENT)}))
    @ApiResponse(responseCode = "422", description = "idempotency-key-reused: the Idempotency-Key was used for a"
            + " different request; nothing was done",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = REUSED)))
    @ApiResponse(responseCode = "413", description = "Body larger than the configured limit",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = BODY_TOO_LARGE)))
    @ApiResponse(responseCode = "415", description = "Content-Type is not application/json",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = UNSUPPORTED)))
    @ApiResponse(responseCode = "503", description = "The log failed; the store is read-only until restarted, and"
            + " nothing was written. Or: " + OVERLOADED_DESCRIPTION,
            headers = @Header(name = "Retry-After", description = RETRY_AFTER, schema = @Schema(type = "integer")),
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class), examples = {
                    @ExampleObject(name = "store-unavailable", value = UNAVAILABLE),
                    @ExampleObject(name = "overloaded", value = OVERLOADED)}))
    ResponseEntity<EntryView> patch(@Parameter(hidden = true) HttpServletRequest request,
                                    @Parameter(hidden = true) HttpServletResponse response) throws IOException;
}
