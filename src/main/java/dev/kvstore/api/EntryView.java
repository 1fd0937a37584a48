package dev.kvstore.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.kvstore.store.Entry;
import dev.kvstore.store.Value;
import io.swagger.v3.oas.annotations.media.Schema;

/** A stored entry as the API shows it. */
@Schema(name = "Entry", description = "A key with its typed value and revisions, and its lease when it has one")
record EntryView(
        @Schema(description = "The key, as given in the path (percent-decoded)", example = "greeting")
        String key,
        @Schema(description = "The value's type", allowableValues = {"string", "integer", "float"}, example = "string")
        String type,
        @Schema(description = "The value: a JSON string, a 64-bit integer or a finite 64-bit float, per type; left"
                + " out of a listing with keysOnly=true",
                anyOf = {String.class, Long.class, Double.class}, example = "Hello, World!")
        @JsonInclude(JsonInclude.Include.NON_NULL)
        Object value,
        @Schema(description = "Revision of the key's last change; its ETag is this number in quotes",
                format = "int64", example = "42")
        long revision,
        @Schema(description = "Revision of the write that created the key", format = "int64", example = "17")
        long createRevision,
        @Schema(description = "The id of the lease the key is attached to (the key is deleted when the lease ends);"
                + " absent when it has none", example = "40")
        @JsonInclude(JsonInclude.Include.NON_NULL)
        String lease) {

    static EntryView of(String key, Entry e) {
        return of(key, e.value(), e);
    }

    /** The entry {@code e} with {@code value}: a write's answer shows the value the request sent. */
    static EntryView of(String key, Value value, Entry e) {
        return new EntryView(key, value.type().jsonName(), json(value), e.revision(), e.createRevision(), lease(e));
    }

    static EntryView keyOnly(String key, Entry e) {
        return new EntryView(key, e.value().type().jsonName(), null, e.revision(), e.createRevision(), lease(e));
    }

    /** A lease id as the API shows it: a string. */
    static String lease(Entry e) {
        return e.lease() == 0 ? null : Long.toString(e.lease());
    }

    static Object json(Value v) {
        return switch (v.type()) {
            case STRING -> ((Value.Text) v).value();
            case INTEGER -> ((Value.Int) v).value();
            case FLOAT -> ((Value.Float) v).value();
        };
    }
}
