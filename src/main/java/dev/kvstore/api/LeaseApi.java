package dev.kvstore.api;

import static dev.kvstore.api.OpenApiConfiguration.PROBLEM;
import static dev.kvstore.api.OpenApiConfiguration.PROBLEM_SCHEMA;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import org.springframework.http.ResponseEntity;

/**
 * The OpenAPI description of {@code /leases}, kept apart from {@link LeaseController}'s logic; the refusals' examples
 * come from the problem catalogue ({@link OpenApiConfiguration#PROBLEMS}).
 */
@Tag(name = "leases", description = "Leases with a time to live: keys attached to a lease are deleted when it"
        + " expires or is revoked")
interface LeaseApi {

    String ID = "The lease's id, as POST /leases answered it";
    String GRANTED = "{\"id\":\"40\",\"ttlSeconds\":30,\"remainingMillis\":30000}";
    String READ = "{\"id\":\"40\",\"ttlSeconds\":30,\"remainingMillis\":21874,\"keys\":[\"locks/a\",\"session\"]}";

    @Schema(name = "LeaseRequest", description = "A lease to grant")
    record LeaseRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED, minimum = "1", maximum = "31536000",
            example = "30", description = "Its time to live in whole seconds (1 s to 365 days)") long ttlSeconds) {
    }

    @Operation(summary = "Grant a lease",
            description = "Grants a lease with a time to live and answers its id. Attach keys to it with"
                    + " `PUT /keys/{key}?lease={id}` (or PATCH, or a batch's `lease` member); keep it alive with"
                    + " POST /leases/{id}/keepalive. It expires when its time to live passes without a keepalive,"
                    + " never sooner, and in steady state within a second after; then every key attached to it is"
                    + " deleted in one revision. The id is the revision the grant took. After a restart, every lease"
                    + " gets its whole time to live again from the moment the service takes requests (in cluster"
                    + " mode, from the moment a new leader is ready). With an Idempotency-Key, a retried grant"
                    + " grants no second lease: the repeat answers the first one's id.")
    @Parameter(name = "Idempotency-Key", in = ParameterIn.HEADER, description = KeyApiDoc.IDEMPOTENCY_KEY,
            schema = @Schema(type = "string"))
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
            mediaType = "application/json", schema = @Schema(implementation = LeaseRequest.class),
            examples = @ExampleObject(value = "{\"ttlSeconds\":30}")))
    @ApiResponse(responseCode = "201", description = "Granted; the lease, and its URL in Location (replayed: the"
            + " lease the first request granted, with its remaining time now, 0 once it ended)",
            headers = {@Header(name = "Location", description = "The lease's URL", schema = @Schema(type = "string",
                    format = "uri-reference", example = "/leases/40")),
                @Header(name = "Idempotent-Replayed", description = KeyApiDoc.IDEMPOTENT_REPLAYED,
                    schema = @Schema(type = "string", allowableValues = "true"))},
            content = @Content(schema = @Schema(implementation = LeaseView.class),
                    examples = @ExampleObject(value = GRANTED)))
    @ApiResponse(responseCode = "400", description = "A body that is not {\"ttlSeconds\": n} with n from 1 to"
            + " 31536000", content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "413", description = "Body larger than the configured limit",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "415", description = "Content-Type is not application/json",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "503", description = "The log failed; the store is read-only until restarted. Or: "
            + OpenApiConfiguration.OVERLOADED_DESCRIPTION,
            headers = @Header(name = "Retry-After", description = OpenApiConfiguration.RETRY_AFTER,
                    schema = @Schema(type = "integer")),
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    ResponseEntity<LeaseView> grant(@Parameter(hidden = true) HttpServletRequest request,
                                    @Parameter(hidden = true) jakarta.servlet.http.HttpServletResponse response)
            throws IOException;

    @Operation(summary = "Keep a lease alive",
            description = "Renews the lease for its whole time to live from now. Writes nothing to the log:"
                    + " deadlines are kept by the node that runs expiry (in cluster mode the leader, which any node"
                    + " asks, and which answers only once a majority confirmed that it still leads). 404 once the lease has expired (its time"
                    + " to live passed since the last keepalive) or was revoked, even a moment before its keys are"
                    + " deleted.")
    @ApiResponse(responseCode = "200", description = "Renewed; remainingMillis is the whole time to live",
            content = @Content(schema = @Schema(implementation = LeaseView.class),
                    examples = @ExampleObject(value = GRANTED)))
    @ApiResponse(responseCode = "404", description = "No such lease",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    LeaseView keepAlive(@Parameter(name = "id", in = ParameterIn.PATH, description = ID, example = "40") String id);

    @Operation(summary = "Read a lease",
            description = "Its time to live, how long until it expires unless kept alive, and the keys attached"
                    + " to it (for a token limited to a key prefix, those under it).")
    @ApiResponse(responseCode = "200", description = "The lease",
            content = @Content(schema = @Schema(implementation = LeaseView.class),
                    examples = @ExampleObject(value = READ)))
    @ApiResponse(responseCode = "404", description = "No such lease",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    LeaseView get(@Parameter(hidden = true) HttpServletRequest request,
                  @Parameter(name = "id", in = ParameterIn.PATH, description = ID, example = "40") String id);

    @Operation(summary = "Revoke a lease",
            description = "Ends the lease and deletes every key attached to it, all in one revision (one log"
                    + " frame, which the watch feed shows as deletes): no reader sees some of them gone and others"
                    + " not. A token limited to a key prefix may revoke only a lease whose keys are all under it.")
    @ApiResponse(responseCode = "204", description = "Revoked; its keys are deleted")
    @ApiResponse(responseCode = "403", description = "The token may not write, or a key attached to the lease is"
            + " outside its key prefix; nothing was done",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "404", description = "No such lease",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    @ApiResponse(responseCode = "503", description = "The log failed; the store is read-only until restarted",
            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))
    ResponseEntity<Void> revoke(@Parameter(hidden = true) HttpServletRequest request,
                                @Parameter(name = "id", in = ParameterIn.PATH, description = ID, example = "40")
                                String id);
}
