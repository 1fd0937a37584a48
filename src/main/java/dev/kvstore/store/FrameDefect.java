package dev.kvstore.store;

/**
 * What can be wrong with the bytes where a frame should start. The first five concern the envelope (the length
 * and the CRC over what the length covers), which is checked before anything else; the rest are found in a frame
 * whose envelope is sound, so the bytes are exactly as some writer wrote them.
 */
public enum FrameDefect {
    SHORT_LENGTH("fewer than 4 bytes left for total_len", false),
    LENGTH_TOO_SMALL("total_len is below the 16-byte minimum", false),
    LENGTH_TOO_LARGE("total_len exceeds the configured key and value limits", false),
    SHORT_BODY("the file ends inside the frame", false),
    BAD_CRC("CRC-32 mismatch", false),
    WRONG_MAGIC("unknown magic byte", true),
    WRONG_VERSION("unknown version byte", true),
    LENGTH_MISMATCH("total_len does not fit the layout the version byte names (16, for version 2 32, + key_len"
            + " + value_len)", true),
    OVER_LIMIT("key or value exceeds the configured limits", true),
    UNKNOWN_OP("unknown op", true),
    UNKNOWN_ENCODING("unknown value encoding", true),
    BAD_VALUE("value length does not fit the op and encoding", true),
    INVALID_UTF8("key or string value is not valid UTF-8", true),
    BAD_REVISION("a revision is zero or out of order", true),
    BAD_BATCH("a batch's operations are malformed, over the limits or created after the batch", true);

    private final String description;
    private final boolean checksummed;

    FrameDefect(String description, boolean checksummed) {
        this.description = description;
        this.checksummed = checksummed;
    }

    public String description() {
        return description;
    }

    /** A well-formed frame of another log format, rather than damage. */
    boolean isForeign() {
        return this == WRONG_MAGIC || this == WRONG_VERSION;
    }

    /**
     * Found in a frame whose envelope is sound (its CRC checks out over the bytes its length covers): the bytes are
     * exactly as some writer wrote them, so this cannot be the trace of a torn write, wherever in the file the frame
     * is.
     */
    boolean isChecksummed() {
        return checksummed;
    }
}
