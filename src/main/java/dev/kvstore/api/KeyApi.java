package dev.kvstore.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.DiscriminatorMapping;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import org.springframework.http.ResponseEntity;

/** The OpenAPI description of {@code /keys/{key}}, kept apart from {@link KeyController}'s logic. */
@Tag(name = "keys", description = "Typed values stored under keys")
interface KeyApi {

    String KEY_DESCRIPTION = "The key: the rest of the path, percent-decoded once as UTF-8, 1 to 1024 bytes by"
            + " default. It may contain `/` (`/keys/a/b/c` is the key `a/b/c`), sent as is or as `%2F`.";
    String PROBLEM = "application/problem+json";

    @Schema(name = "Problem", description = "RFC 9457 problem details")
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
    String UNSUPPORTED = "{\"title\":\"Unsupported Media Type\",\"status\":415,"
            + "\"detail\":\"Content-Type 'text/plain' is not supported.\",\"instance\":\"/keys/greeting\"}";
    String UNAVAILABLE = "{\"type\":\"urn:kv-store:problem:store-unavailable\",\"title\":\"Store unavailable\","
            + "\"status\":503,\"detail\":\"The write-ahead log failed (IOException: No space left on device); the"
            + " store is read-only until it is restarted.\",\"instance\":\"/keys/greeting\"}";

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

    @Operation(summary = "Read a key", description = "Returns the key's typed value. Floats round-trip exactly.")
    @ApiResponse(responseCode = "200", description = "The entry",
            content = @Content(schema = @Schema(implementation = EntryView.class), examples = {
                    @ExampleObject(name = "string", value = "{\"key\":\"greeting\",\"type\":\"string\",\"value\":\"hi\"}"),
                    @ExampleObject(name = "integer", value = "{\"key\":\"answer\",\"type\":\"integer\",\"value\":42}"),
                    @ExampleObject(name = "float", value = "{\"key\":\"pi\",\"type\":\"float\",\"value\":3.5}")}))
    @ApiResponse(responseCode = "400", description = "Invalid key (empty, too long, bad percent-encoding or UTF-8)",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = INVALID_KEY)))
    @ApiResponse(responseCode = "404", description = "No value under this key",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = NOT_FOUND)))
    EntryView get(@Parameter(hidden = true) HttpServletRequest request);

    @Operation(summary = "Store a typed value under a key",
            description = "Creates the key (201, with Location) or replaces its value (200). Under the default"
                    + " durability mode the answer comes only after the write is forced to stable storage.")
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
            mediaType = "application/json", schema = @Schema(implementation = TypedValue.class), examples = {
                    @ExampleObject(name = "string", value = "{\"type\":\"string\",\"value\":\"hi\"}"),
                    @ExampleObject(name = "integer", value = "{\"type\":\"integer\",\"value\":42}"),
                    @ExampleObject(name = "float", value = "{\"type\":\"float\",\"value\":3.5}")}))
    @ApiResponse(responseCode = "200", description = "Replaced; the stored entry",
            content = @Content(schema = @Schema(implementation = EntryView.class)))
    @ApiResponse(responseCode = "201", description = "Created; the stored entry, and its URL in Location",
            content = @Content(schema = @Schema(implementation = EntryView.class)))
    @ApiResponse(responseCode = "400", description = "Invalid key, malformed JSON, unknown type, missing member,"
            + " integer out of range, value not matching its type, NaN or Infinity",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = INVALID_VALUE)))
    @ApiResponse(responseCode = "413", description = "Body or value larger than the configured limit",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = TOO_LARGE)))
    @ApiResponse(responseCode = "415", description = "Content-Type is not application/json",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = UNSUPPORTED)))
    @ApiResponse(responseCode = "503", description = "The log failed (disk full, I/O error); the store is"
            + " read-only until restarted, and nothing of this write was applied",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = UNAVAILABLE)))
    ResponseEntity<EntryView> put(@Parameter(hidden = true) HttpServletRequest request) throws IOException;

    @Operation(summary = "Delete a key", description = "Removes the key. When it has no value, nothing is written.")
    @ApiResponse(responseCode = "204", description = "Deleted")
    @ApiResponse(responseCode = "400", description = "Invalid key",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = INVALID_KEY)))
    @ApiResponse(responseCode = "404", description = "No value under this key; nothing was written",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = NOT_FOUND)))
    @ApiResponse(responseCode = "503", description = "The log failed; the store is read-only until restarted",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(value = UNAVAILABLE)))
    ResponseEntity<Void> delete(@Parameter(hidden = true) HttpServletRequest request);
}
