package dev.kvstore.api;

import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The query of {@code GET /watch}, read by {@link StrictQuery} like a listing's: {@code prefix},
 * {@code fromRevision}, and for the long poll {@code wait} and {@code limit}; a stream's {@code Last-Event-ID}
 * header, which takes precedence over {@code fromRevision}.
 *
 * @param from    the first revision asked for, or 0 for "after the current one"
 * @param maxWait how long a long poll may wait ({@code wait}), already capped by {@code kv.watch.max-wait}
 * @param limit   most events in a long-poll answer
 */
record WatchQuery(String prefix, long from, Duration maxWait, int limit) {

    static final String LAST_EVENT_ID = "Last-Event-ID";
    private static final Set<String> PARAMETERS = Set.of("prefix", "fromRevision", "wait", "limit");

    static WatchQuery parse(HttpServletRequest request, boolean stream, Duration maxWait, int maxEvents) {
        Map<String, String> q = StrictQuery.parse(request, PARAMETERS, name -> String.format("Unknown parameter"
                + " \"%s\": GET /watch takes prefix, fromRevision, and for the long poll (Accept: application/json)"
                + " wait and limit.", name));
        String prefix = q.get("prefix");
        String from = q.get("fromRevision");
        String wait = q.get("wait");
        String limit = q.get("limit");
        if (stream && (wait != null || limit != null)) {
            throw StrictQuery.invalid("wait and limit apply to the long poll (Accept: application/json), not to a"
                    + " stream of events.");
        }
        long start = from == null ? 0 : number(from, 1, "The parameter fromRevision");
        String lastEventId = stream ? request.getHeader(LAST_EVENT_ID) : null;
        if (lastEventId != null && !lastEventId.isBlank()) {
            // The last event the client received: resume after it.
            start = number(lastEventId.trim(), 0, "The Last-Event-ID header") + 1;
        }
        return new WatchQuery(prefix == null ? "" : prefix, start, duration(wait, maxWait),
                limit == null ? maxEvents : limit(limit, maxEvents));
    }

    /** A revision of at least {@code min} (and below the largest one, so that the next one exists). */
    private static long number(String text, long min, String what) {
        try {
            long n = Long.parseLong(text);
            if (n >= min && n < Long.MAX_VALUE) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw StrictQuery.invalid(String.format("%s must be a revision, an integer of at least %d, not \"%s\".",
                what, min, shorten(text)));
    }

    /**
     * {@code 30s}, {@code 500ms}, {@code 2m}, or a number of seconds; capped at {@code max}, as Consul caps its
     * blocking queries.
     */
    private static Duration duration(String text, Duration max) {
        if (text == null) {
            return Duration.ZERO;
        }
        Duration d = null;
        try {
            if (text.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
            } else if (text.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)));
            } else if (text.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 1)));
            } else {
                d = Duration.ofSeconds(Long.parseLong(text));
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // refused below
        }
        if (d == null || d.isNegative()) {
            throw StrictQuery.invalid(String.format(
                    "wait must be a duration such as 30s, 500ms or 2m, not \"%s\".", shorten(text)));
        }
        return d.compareTo(max) > 0 ? max : d;
    }

    private static int limit(String text, int max) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw StrictQuery.invalid(String.format(
                "limit must be an integer from 1 to %d (kv.watch.max-events), not \"%s\".", max, shorten(text)));
    }

    private static String shorten(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }
}
