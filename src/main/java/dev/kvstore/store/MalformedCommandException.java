package dev.kvstore.store;

/**
 * Bytes that are not exactly one well-formed command or result in {@link CommandCodec}'s layout: cut short, an
 * unknown version, kind or tag, a length beyond the bytes, a string that is not UTF-8, or bytes left over.
 */
public final class MalformedCommandException extends IllegalArgumentException {

    private final int offset;

    MalformedCommandException(String what, int offset) {
        super("malformed command bytes at offset " + offset + ": " + what);
        this.offset = offset;
    }

    /** Where in the bytes the problem was found. */
    public int offset() {
        return offset;
    }
}
