package dev.kvstore.api;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** The answer of a long poll, {@code GET /watch} with {@code Accept: application/json}. */
@Schema(name = "WatchPage", description = "The changes under the prefix from the requested revision up to revision,"
        + " all of them; poll again from nextRevision")
record WatchPage(
        @Schema(description = "Every change under the prefix from the requested revision up to this one is in events",
                format = "int64", example = "57")
        long revision,
        @Schema(description = "Where the next poll starts (fromRevision): revision + 1", format = "int64",
                example = "58")
        long nextRevision,
        @Schema(description = "The events, in revision order; empty when wait ran out first")
        List<EventView> events) {
}
