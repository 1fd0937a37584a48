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

/** The OpenAPI description of {@code GET /keys}, kept apart from {@link ListController}'s logic. */
@Tag(name = "keys")
interface ListApi {

    String PAGE = "{\"items\":[{\"key\":\"app/config/0001\",\"type\":\"string\",\"value\":\"on\",\"revision\":12,"
            + "\"createRevision\":3},{\"key\":\"app/config/0002\",\"type\":\"integer\",\"value\":7,\"revision\":15,"
            + "\"createRevision\":15}],\"cursor\":\"AWFwcC9jb25maWcvMDAwMg\","
            + "\"next\":\"/keys?prefix=app/&limit=2&cursor=AWFwcC9jb25maWcvMDAwMg\",\"revision\":57}";
    String KEYS_ONLY = "{\"items\":[{\"key\":\"app/config/0001\",\"type\":\"string\",\"revision\":12,"
            + "\"createRevision\":3},{\"key\":\"app/config/0002\",\"type\":\"integer\",\"revision\":15,"
            + "\"createRevision\":15}],\"cursor\":null,\"next\":null,\"revision\":57}";

    @Operation(summary = "List keys",
            description = "Returns the keys that start with `prefix`, in Unicode code point (UTF-8 byte) order, a page"
                    + " at a time; follow `next` (or pass `cursor`) until it is null. Each page is a consistent view"
                    + " of the store: it never shows half of a batch. Keys written between pages show up in a later"
                    + " page if they sort after the cursor.")
    @Parameters({
            @Parameter(name = "prefix", in = ParameterIn.QUERY, description = "Only keys that start with this"
                    + " string (a plain prefix, not a pattern), such as `app/`; empty or absent lists every key",
                    schema = @Schema(type = "string")),
            @Parameter(name = "limit", in = ParameterIn.QUERY, description = "Most entries in the page: 1 to"
                    + " kv.list.max-limit (1000 by default); when absent, kv.list.default-limit (100 by default)",
                    schema = @Schema(type = "integer", format = "int32", minimum = "1", maximum = "1000",
                            defaultValue = "100")),
            @Parameter(name = "cursor", in = ParameterIn.QUERY, description = "Opaque: the cursor of the previous"
                    + " page, as it is, with the same prefix; absent for the first page",
                    schema = @Schema(type = "string")),
            @Parameter(name = "keysOnly", in = ParameterIn.QUERY, description = "true leaves out each entry's"
                    + " value", schema = @Schema(type = "boolean", defaultValue = "false"))})
    @ApiResponse(responseCode = "200", description = "A page of entries; cursor and next are null on the last one",
            headers = @io.swagger.v3.oas.annotations.headers.Header(name = "X-Revision", description = "The revision"
                    + " of the state the page was read at, as in its revision member",
                    schema = @Schema(type = "integer", format = "int64")),
            content = @Content(schema = @Schema(implementation = ListView.class), examples = {
                    @ExampleObject(name = "page", value = PAGE),
                    @ExampleObject(name = "keysOnly", value = KEYS_ONLY)}))
    @ApiResponse(responseCode = "400", description = "An unknown or repeated parameter, a limit out of range, a"
            + " keysOnly that is not true or false, bad percent-encoding (invalid-query); or a cursor that is"
            + " malformed or from a listing of another prefix (invalid-cursor)",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "401", description = "No token, or an unknown one",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "403", description = "The token may not read, or is limited to a key prefix that"
            + " `prefix` is not under (a limited token must list under its own prefix)",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    org.springframework.http.ResponseEntity<ListView> list(@Parameter(hidden = true) HttpServletRequest request);
}
