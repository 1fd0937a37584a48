package dev.kvstore.store;

/** What can be wrong with the bytes where a frame should start. */
public enum FrameDefect {
    SHORT_LENGTH("fewer than 4 bytes left for total_len"),
    LENGTH_TOO_SMALL("total_len is below the 16-byte minimum"),
    LENGTH_TOO_LARGE("total_len exceeds the configured key and value limits"),
    SHORT_BODY("the file ends inside the frame"),
    LENGTH_MISMATCH("total_len does not equal 16 (version 2: 32) + key_len + value_len"),
    BAD_CRC("CRC-32 mismatch"),
    WRONG_MAGIC("unknown magic byte"),
    WRONG_VERSION("unknown version byte"),
    OVER_LIMIT("key or value exceeds the configured limits"),
    UNKNOWN_OP("unknown op"),
    UNKNOWN_ENCODING("unknown value encoding"),
    BAD_VALUE("value length does not fit the op and encoding"),
    INVALID_UTF8("key or string value is not valid UTF-8"),
    BAD_REVISION("a revision is zero or out of order"),
    BAD_BATCH("a batch's operations are malformed, over the limits or created after the batch");

    private final String description;

    FrameDefect(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** A well-formed frame of another log format, rather than damage. */
    boolean isForeign() {
        return this == WRONG_MAGIC || this == WRONG_VERSION;
    }

    /**
     * Found in a frame whose CRC checks out: the bytes are exactly as some writer wrote them, so this cannot be the
     * trace of a torn write, wherever in the file the frame is.
     */
    boolean isChecksummed() {
        return ordinal() >= WRONG_MAGIC.ordinal();
    }
}
