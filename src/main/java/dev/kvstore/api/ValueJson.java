package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import dev.kvstore.store.Value;
import dev.kvstore.store.ValueType;
import java.util.Objects;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;

/**
 * Reads the typed value of a PUT body, strictly: {@code {"type":"string"|"integer"|"float","value":...}}. The
 * JSON token must match the declared type ({@code 3} is a valid float, {@code 3.0} is not a valid integer),
 * integers must fit in 64 bits, floats must be finite. An optional {@code "key"} member must equal the path's
 * key, so a GET response can be sent back as it is. Anything else is refused with the reason.
 */
final class ValueJson {

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).maxNumberLength(1000).build())
            .build();

    private ValueJson() {
    }

    /**
     * A JSON value token as read, before it is checked against the declared type: a number's text, or for a string,
     * where its content starts in the body, to be decoded once the parser has checked it (see
     * {@link JsonStringContent}).
     */
    record Token(JsonToken kind, String text, byte[] body, int start) {

        /** The string's text; only once the parser has moved past it. */
        String string() {
            return JsonStringContent.decode(body, start);
        }
    }

    static JsonParser parser(byte[] body, int length) {
        return JSON.createParser(ObjectReadContext.empty(), body, 0, length);
    }

    /**
     * Reads a PATCH body, {@code {"increment": n}}: a JSON integer (signed 64-bit) is an integer step, any other
     * finite number a float step.
     */
    static Value parseIncrement(byte[] body, int length) {
        if (length == 0) {
            throw invalid("The body is empty; send {\"increment\": <number>}.");
        }
        Value step = null;
        try (JsonParser p = parser(body, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw invalid("The body must be a JSON object: {\"increment\": <number>}.");
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (!name.equals("increment")) {
                    throw invalid(String.format("Unknown member \"%s\": the body takes only \"increment\".", name));
                }
                duplicate("increment", step);
                Token token = valueToken(p, v, null, body);
                if (!v.isNumeric()) {
                    throw invalid("\"increment\" must be a JSON number, not " + describe(v) + ".");
                }
                step = v == JsonToken.VALUE_NUMBER_INT ? Value.of(parseLong(token.text())) : Value.of(parseDouble(token));
            }
            if (p.nextToken() != null) {
                throw malformed("Unexpected content after the JSON object.");
            }
        } catch (JacksonException e) {
            throw malformed(describe(e));
        }
        if (step == null) {
            throw invalid("\"increment\" is missing: send {\"increment\": <number>}.");
        }
        return step;
    }

    static Value parse(byte[] body, int length, String pathKey) {
        if (length == 0) {
            throw invalid("The body is empty; send {\"type\": \"string\"|\"integer\"|\"float\", \"value\": ...}.");
        }
        String type = null;
        Token value = null;
        try (JsonParser p = parser(body, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw invalid("The body must be a JSON object: {\"type\": ..., \"value\": ...}.");
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (name) {
                    case "type" -> type = typeName(p, v, type);
                    case "value" -> value = valueToken(p, v, value, body);
                    case "key" -> checkKey(p, v, pathKey);
                    // What a GET answers, so that it can be sent back as it is; a conditional write uses If-Match.
                    case "revision", "createRevision" -> p.skipChildren();
                    default -> throw invalid(String.format(
                            "Unknown member \"%s\": the body takes \"type\" and \"value\" (and optionally \"key\").", name));
                }
            }
            if (p.nextToken() != null) {
                throw malformed("Unexpected content after the JSON object.");
            }
        } catch (JacksonException e) {
            throw malformed(describe(e));
        }
        return toValue(type, value);
    }

    static String typeName(JsonParser p, JsonToken v, String previous) {
        duplicate("type", previous);
        if (v != JsonToken.VALUE_STRING) {
            throw invalid("\"type\" must be a string: \"string\", \"integer\" or \"float\".");
        }
        return p.getString();
    }

    static Token valueToken(JsonParser p, JsonToken v, Token previous, byte[] body) {
        duplicate("value", previous);
        if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
            p.skipChildren();
        }
        if (v == JsonToken.VALUE_STRING) {
            // Not read here: the parser checks it as it skips it, and it is decoded from the body afterwards.
            return new Token(v, null, body, JsonStringContent.start(p));
        }
        return new Token(v, v.isNumeric() ? p.getString() : null, null, -1);
    }

    private static void checkKey(JsonParser p, JsonToken v, String pathKey) {
        if (v != JsonToken.VALUE_STRING || !p.getString().equals(pathKey)) {
            throw invalid("\"key\" is optional, but when present it must equal the key in the path.");
        }
    }

    static void duplicate(String member, Object previous) {
        if (previous != null) {
            throw invalid("\"" + member + "\" appears twice.");
        }
    }

    static Value toValue(String typeName, Token value) {
        if (typeName == null) {
            throw invalid("\"type\" is missing: it must be \"string\", \"integer\" or \"float\".");
        }
        ValueType type = ValueType.fromJsonName(typeName);
        if (type == null) {
            throw invalid(String.format("Unknown type \"%s\": it must be \"string\", \"integer\" or \"float\".", typeName));
        }
        if (value == null) {
            throw invalid("\"value\" is missing.");
        }
        return switch (type) {
            case STRING -> {
                expect(value, JsonToken.VALUE_STRING, "a JSON string");
                yield Value.of(value.string());
            }
            case INTEGER -> Value.of(parseLong(expect(value, JsonToken.VALUE_NUMBER_INT, "a JSON integer")));
            case FLOAT -> Value.of(parseDouble(value));
        };
    }

    private static String expect(Token value, JsonToken kind, String what) {
        if (value.kind() != kind) {
            throw invalid(String.format("A value of this type must be %s, not %s.", what, describe(value.kind())));
        }
        return value.text();
    }

    static long parseLong(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw invalid("The integer " + abbreviate(text) + " is outside the signed 64-bit range "
                    + Long.MIN_VALUE + " .. " + Long.MAX_VALUE + ".");
        }
    }

    static double parseDouble(Token value) {
        if (!value.kind().isNumeric()) {
            throw invalid("A value of type \"float\" must be a JSON number, not " + describe(value.kind()) + ".");
        }
        double d = Double.parseDouble(value.text());
        if (!Double.isFinite(d)) {
            throw invalid("The number " + abbreviate(value.text()) + " is outside the range of a 64-bit float.");
        }
        return d;
    }

    static String describe(JsonToken kind) {
        return switch (kind) {
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a number with a fraction or exponent";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            default -> kind.name();
        };
    }

    static String describe(JacksonException e) {
        String msg = Objects.requireNonNullElse(e.getOriginalMessage(), "unreadable JSON");
        int nl = msg.indexOf('\n');
        String first = nl < 0 ? msg : msg.substring(0, nl);
        if (first.contains("NaN") || first.contains("Infinity")) {
            first += " (NaN and Infinity are not JSON numbers, and a float value must be finite)";
        }
        var loc = e.getLocation();
        return loc == null ? first : String.format("%s (line %d, column %d)", first, loc.getLineNr(), loc.getColumnNr());
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 20) + "..." + s.substring(s.length() - 10);
    }

    /** A number as JSON writes it (and a string as it is), for messages. */
    static String text(Value v) {
        if (v instanceof Value.Int i) {
            return Long.toString(i.value());
        }
        return v instanceof Value.Float f ? Double.toString(f.value()) : ((Value.Text) v).value();
    }

    static ApiProblem invalid(String detail) {
        return new ApiProblem(ProblemType.INVALID_VALUE, detail);
    }

    static ApiProblem malformed(String detail) {
        return new ApiProblem(ProblemType.MALFORMED_JSON, "The body is not valid JSON: " + detail);
    }
}
