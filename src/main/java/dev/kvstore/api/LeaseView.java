package dev.kvstore.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** A lease as the API shows it. */
@Schema(name = "Lease", description = "A lease: keys attached to it are deleted, in one revision, when it expires"
        + " or is revoked")
@JsonInclude(JsonInclude.Include.NON_NULL)
record LeaseView(
        @Schema(description = "The lease's id, to attach keys (PUT /keys/{key}?lease=) and keep it alive; opaque",
                example = "40")
        String id,
        @Schema(description = "Its time to live: it expires this long after the last keepalive, unless revoked",
                example = "30", minimum = "1", maximum = "31536000")
        long ttlSeconds,
        @Schema(description = "How long until it expires unless kept alive (never sooner; at most 1 s later in"
                + " steady state)", example = "29874", minimum = "0")
        long remainingMillis,
        @ArraySchema(arraySchema = @Schema(description = "GET only: the keys attached to it, in key order (for a"
                + " token limited to a key prefix, those under it)"))
        List<String> keys) {
}
