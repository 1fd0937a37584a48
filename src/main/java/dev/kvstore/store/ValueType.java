package dev.kvstore.store;

/** The value types, with the name the HTTP API uses for each and the frame's encoding byte. */
public enum ValueType {
    STRING("string", Frame.ENCODING_UTF8),
    INTEGER("integer", Frame.ENCODING_I64),
    FLOAT("float", Frame.ENCODING_F64);

    private final String jsonName;
    private final byte encoding;

    ValueType(String jsonName, byte encoding) {
        this.jsonName = jsonName;
        this.encoding = encoding;
    }

    /** The name clients use in {@code "type"}. */
    public String jsonName() {
        return jsonName;
    }

    byte encoding() {
        return encoding;
    }

    /** The type with this JSON name, or {@code null}. */
    public static ValueType fromJsonName(String name) {
        for (ValueType t : values()) {
            if (t.jsonName.equals(name)) {
                return t;
            }
        }
        return null;
    }
}
