package dev.kvstore.api;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** One page of {@code GET /keys}. */
@Schema(name = "KeyPage", description = "One page of keys in UTF-8 byte order")
record ListView(
        @Schema(description = "The entries, in Unicode code point (UTF-8 byte) order")
        List<EntryView> items,
        @Schema(description = "Opaque cursor of the next page, or null on the last page", nullable = true,
                example = "AWFwcC9jb25maWcvMDA5OQ")
        String cursor,
        @Schema(description = "URL of the next page (same prefix, limit and keysOnly), or null on the last page",
                nullable = true, example = "/keys?prefix=app/&limit=100&cursor=AWFwcC9jb25maWcvMDA5OQ")
        String next,
        @Schema(description = "The revision of the state this page was read at (also in X-Revision): a watch from"
                + " the first page's revision + 1 misses no change made after the listing began", format = "int64",
                example = "57")
        long revision) {
}
