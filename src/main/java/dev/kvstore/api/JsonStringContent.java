package dev.kvstore.api;

import java.nio.charset.StandardCharsets;
import tools.jackson.core.JsonParser;

/**
 * The text of a JSON string value, decoded straight from the request body. Jackson would gather a long string in
 * char segments and then a builder before making the String: about four times a 4 MiB value in transient copies.
 * Here plain ASCII (no escape, no byte above 0x7F) takes one copy, the String itself, and anything else one char
 * array besides. The parser has checked the string's syntax (escapes, control characters, the shape of multi-byte
 * sequences) while it skipped over it; the UTF-8 is checked strictly here, so that an overlong form or an encoded
 * surrogate is refused as malformed instead of being stored.
 */
final class JsonStringContent {

    private JsonStringContent() {
    }

    /** Where the content of the current token, a string the parser has not read, starts in the body. */
    static int start(JsonParser p) {
        return Math.toIntExact(p.currentTokenLocation().getByteOffset()) + 1;
    }

    /**
     * The string whose content starts at {@code start} and ends at the next unescaped quote. Call it only once the
     * parser has moved past the string (and so checked it).
     */
    static String decode(byte[] body, int start) {
        boolean plain = true;
        int end = start;
        for (byte b; (b = body[end]) != '"'; end++) {
            if (b == '\\') {
                plain = false;
                end++; // the escaped character is never the closing quote
            } else if (b < 0) {
                plain = false;
            }
        }
        return plain ? new String(body, start, end - start, StandardCharsets.ISO_8859_1) : decode(body, start, end);
    }

    private static String decode(byte[] b, int from, int to) {
        char[] out = new char[to - from];
        int n = 0;
        for (int i = from; i < to; ) {
            int c = b[i++];
            if (c == '\\') {
                char e = (char) b[i++];
                if (e == 'u') {
                    out[n++] = (char) Integer.parseInt(new String(b, i, 4, StandardCharsets.ISO_8859_1), 16);
                    i += 4;
                } else {
                    out[n++] = unescape(e);
                }
            } else if (c >= 0) {
                out[n++] = (char) c;
            } else {
                int length = sequenceLength(c & 0xFF, i - 1);
                int cp = codePoint(b, i - 1, length, to);
                n += Character.toChars(cp, out, n);
                i += length - 1;
            }
        }
        return new String(out, 0, n);
    }

    private static char unescape(char e) {
        return switch (e) {
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            default -> e; // ", \ and /
        };
    }

    private static int sequenceLength(int lead, int at) {
        if (lead >= 0xC2 && lead <= 0xDF) {
            return 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            return 3;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            return 4;
        }
        throw malformed(at);
    }

    /** The code point of a well-formed sequence (Unicode's table 3-7), else a malformed-JSON problem. */
    private static int codePoint(byte[] b, int at, int length, int to) {
        if (at + length > to) {
            throw malformed(at);
        }
        int lead = b[at] & 0xFF;
        int low = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
        int high = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
        int cp = lead & (0xFF >> (length + 1));
        for (int k = 1; k < length; k++) {
            int next = b[at + k] & 0xFF;
            if (next < (k == 1 ? low : 0x80) || next > (k == 1 ? high : 0xBF)) {
                throw malformed(at);
            }
            cp = cp << 6 | next & 0x3F;
        }
        return cp;
    }

    private static ApiProblem malformed(int at) {
        return ValueJson.malformed("Invalid UTF-8 in a string at byte " + at + ".");
    }
}
