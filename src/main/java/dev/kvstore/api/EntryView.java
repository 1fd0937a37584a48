package dev.kvstore.api;

import dev.kvstore.store.Value;
import io.swagger.v3.oas.annotations.media.Schema;

/** A stored entry as the API shows it. */
@Schema(name = "Entry", description = "A key with its typed value")
record EntryView(
        @Schema(description = "The key, as given in the path (percent-decoded)", example = "greeting")
        String key,
        @Schema(description = "The value's type", allowableValues = {"string", "integer", "float"}, example = "string")
        String type,
        @Schema(description = "The value: a JSON string, a 64-bit integer or a finite 64-bit float, per type",
                oneOf = {String.class, Long.class, Double.class}, example = "Hello, World!")
        Object value) {

    static EntryView of(String key, Value v) {
        Object json = switch (v.type()) {
            case STRING -> ((Value.Text) v).value();
            case INTEGER -> ((Value.Int) v).value();
            case FLOAT -> ((Value.Float) v).value();
        };
        return new EntryView(key, v.type().jsonName(), json);
    }
}
