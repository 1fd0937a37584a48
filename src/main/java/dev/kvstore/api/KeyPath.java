package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import dev.kvstore.store.Utf8;
import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayOutputStream;

/**
 * The key of a {@code /keys/{key}} request: the rest of the raw path, percent-decoded exactly once as UTF-8.
 * It is read from the undecoded request URI, because the container's decoded path has already lost the
 * difference between {@code /} and {@code %2F} and may have normalized segments away.
 */
final class KeyPath {

    static final String PREFIX = "/keys/";

    private KeyPath() {
    }

    static String keyOf(HttpServletRequest request) {
        String uri = request.getRequestURI();
        String prefix = request.getContextPath() + PREFIX;
        String raw = uri.startsWith(prefix) ? uri.substring(prefix.length()) : "";
        if (raw.isEmpty()) {
            throw new ApiProblem(ProblemType.INVALID_KEY, "The key is empty: use /keys/{key}.");
        }
        return decode(raw);
    }

    /** A query component, percent-decoded once as strict UTF-8, with {@code +} as a space. */
    static String decodeQuery(String raw) {
        return percentDecode(raw.replace('+', ' '));
    }

    static String decode(String raw) {
        if (isPlain(raw)) {
            return raw; // nothing to decode: the common case, without a copy
        }
        try {
            return percentDecode(raw);
        } catch (IllegalArgumentException e) {
            throw new ApiProblem(ProblemType.INVALID_KEY, "The key is not valid: " + e.getMessage() + ".");
        }
    }

    /** Printable ASCII without {@code %}: its own decoding. */
    private static boolean isPlain(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' || c <= ' ' || c >= 0x7F) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes each {@code %XX} once and the result as strict UTF-8.
     *
     * @throws IllegalArgumentException with the reason when it cannot
     */
    static String percentDecode(String raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int lo = hi >= 0 ? Character.digit(raw.charAt(i + 2), 16) : -1;
                if (lo < 0) {
                    throw new IllegalArgumentException(String.format(
                            "invalid percent-encoding at character %d: '%%' must be followed by two hex digits", i));
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c > 0xFF) {
                throw new IllegalArgumentException("it holds a character that is not a byte");
            } else {
                bytes.write(c);
            }
        }
        byte[] b = bytes.toByteArray();
        String decoded = Utf8.decode(b, 0, b.length);
        if (decoded == null) {
            throw new IllegalArgumentException("it is not valid UTF-8 once percent-decoded");
        }
        return decoded;
    }

    /** The path of {@code key}, percent-encoding everything but unreserved characters and {@code /}. */
    static String encode(String contextPath, String key) {
        return contextPath + PREFIX + encodeComponent(key);
    }

    /** {@code s} percent-encoded but for unreserved characters and {@code /}. */
    static String encodeComponent(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : Utf8.encode(s)) {
            int c = b & 0xFF;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return sb.toString();
    }
}
