package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import dev.kvstore.store.Utf8;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

/**
 * The query of {@code GET /keys}, read from the raw query string and percent-decoded strictly as UTF-8 ({@code +} is a
 * space, as in forms). Unknown parameters are refused, so that a misspelt one does not silently list everything.
 *
 * <p>The cursor is opaque to clients: base64url of a format byte and the last key of the previous page. The next
 * page starts after that key, so it stays valid however keys change meanwhile.
 */
record ListQuery(String prefix, int limit, String after, boolean keysOnly) {

    private static final byte CURSOR_FORMAT = 1;
    private static final Set<String> PARAMETERS = Set.of("prefix", "limit", "cursor", "keysOnly");

    static ListQuery parse(HttpServletRequest request, int defaultLimit, int maxLimit) {
        Map<String, String> q = StrictQuery.parse(request, PARAMETERS, name -> String.format(
                "Unknown parameter \"%s\": GET /keys takes prefix, limit, cursor and keysOnly.", name));
        String prefix = q.get("prefix");
        String limit = q.get("limit");
        String cursor = q.get("cursor");
        String keysOnly = q.get("keysOnly");
        int n = limit(limit, defaultLimit, maxLimit);
        String p = prefix == null ? "" : prefix;
        String after = cursor == null || cursor.isEmpty() ? null : cursorKey(cursor, p);
        return new ListQuery(p, n, after, bool(keysOnly));
    }

    /** The cursor of a page that ends with {@code lastKey}. */
    static String cursor(String lastKey) {
        byte[] key = Utf8.encode(lastKey);
        byte[] raw = new byte[key.length + 1];
        raw[0] = CURSOR_FORMAT;
        System.arraycopy(key, 0, raw, 1, key.length);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    /** The URL of the page after the one ending with {@code lastKey}. */
    String next(String contextPath, String lastKey) {
        StringBuilder sb = new StringBuilder(contextPath).append("/keys?");
        if (!prefix.isEmpty()) {
            sb.append("prefix=").append(KeyPath.encodeComponent(prefix)).append('&');
        }
        sb.append("limit=").append(limit).append("&cursor=").append(cursor(lastKey));
        if (keysOnly) {
            sb.append("&keysOnly=true");
        }
        return sb.toString();
    }

    private static String cursorKey(String cursor, String prefix) {
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(cursor.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw badCursor("it is not base64url");
        }
        String key = raw.length > 1 && raw[0] == CURSOR_FORMAT ? Utf8.decode(raw, 1, raw.length - 1) : null;
        if (key == null) {
            throw badCursor("it is not a cursor of this service");
        }
        if (!key.startsWith(prefix)) {
            throw badCursor("it belongs to a listing of another prefix");
        }
        return key;
    }

    private static int limit(String text, int defaultLimit, int maxLimit) {
        if (text == null) {
            return defaultLimit;
        }
        try {
            int n = Integer.parseInt(text);
            if (n >= 1 && n <= maxLimit) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw StrictQuery.invalid(String.format(
                "limit must be an integer from 1 to %d (kv.list.max-limit), not \"%s\".", maxLimit,
                text.length() > 40 ? text.substring(0, 40) + "..." : text));
    }

    private static boolean bool(String text) {
        if (text == null || text.equals("false")) {
            return false;
        }
        if (text.equals("true") || text.isEmpty()) {
            return true;
        }
        throw StrictQuery.invalid("keysOnly must be true or false, not \"" + text + "\".");
    }

    private static ApiProblem badCursor(String why) {
        return new ApiProblem(ProblemType.INVALID_CURSOR, "The cursor is not valid: " + why
                + ". Use the cursor or the next URL of the previous page as it is, or leave it out to start over.");
    }
}
