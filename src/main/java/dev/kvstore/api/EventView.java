package dev.kvstore.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.kvstore.store.Change;
import dev.kvstore.store.ChangeEvent;
import dev.kvstore.store.Entry;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** One revision's changes under the watched prefix, as {@code GET /watch} sends them. */
@Schema(name = "WatchEvent", description = "Everything one revision changed under the watched prefix: one write, or a"
        + " whole batch, never split")
record EventView(
        @Schema(description = "The revision of the write", format = "int64", example = "42")
        long revision,
        @Schema(description = "The changes under the prefix, in the order the write made them")
        List<ChangeView> changes) {

    static EventView of(ChangeEvent e) {
        List<ChangeView> changes = new ArrayList<>(e.changes().size());
        for (Change c : e.changes()) {
            changes.add(ChangeView.of(c));
        }
        return new EventView(e.revision(), changes);
    }

    /** One key's change. */
    @Schema(name = "WatchChange", description = "One key's change: its new entry (for a put) and the entry before it")
    record ChangeView(
            @Schema(description = "put: the key was created or replaced; delete: it was deleted (expire, when a"
                    + " lease ends, once leases exist)", example = "put")
            String op,
            @Schema(description = "The key", example = "app/config")
            String key,
            @Schema(description = "The new value's type (put only)", allowableValues = {"string", "integer", "float"},
                    example = "string")
            @JsonInclude(JsonInclude.Include.NON_NULL)
            String type,
            @Schema(description = "The new value (put only)", example = "on")
            @JsonInclude(JsonInclude.Include.NON_NULL)
            Object value,
            @Schema(description = "Revision of the write that created the key (put only)", format = "int64",
                    example = "17")
            @JsonInclude(JsonInclude.Include.NON_NULL)
            Long createRevision,
            @Schema(description = "The entry before the change, or null when the key had none (a put that created"
                    + " it)", nullable = true)
            @JsonInclude(JsonInclude.Include.ALWAYS)
            PreviousView previous) {

        static ChangeView of(Change c) {
            Entry now = c.current();
            String op = c.op().name().toLowerCase(Locale.ROOT);
            return now == null ? new ChangeView(op, c.key(), null, null, null, PreviousView.of(c.previous()))
                    : new ChangeView(op, c.key(), now.value().type().jsonName(), EntryView.json(now.value()),
                    now.createRevision(), PreviousView.of(c.previous()));
        }
    }

    /** An entry as it was before a change. */
    @Schema(name = "PreviousEntry", description = "A key's typed value and revisions before a change")
    record PreviousView(
            @Schema(description = "The value's type", allowableValues = {"string", "integer", "float"},
                    example = "string")
            String type,
            @Schema(description = "The value: a string, a 64-bit integer or a float, per type", example = "off")
            Object value,
            @Schema(description = "Revision of the key's change that set it", format = "int64", example = "30")
            long revision,
            @Schema(description = "Revision of the write that created the key", format = "int64", example = "17")
            long createRevision) {

        static PreviousView of(Entry e) {
            return e == null ? null : new PreviousView(e.value().type().jsonName(), EntryView.json(e.value()),
                    e.revision(), e.createRevision());
        }
    }
}
