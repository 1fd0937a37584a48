package dev.kvstore.api;

import java.util.Locale;

/** Whether an {@code Accept} header takes {@code application/json}: one of its ranges matches it with q above 0. */
final class MediaRanges {

    private MediaRanges() {
    }

    static boolean includeJson(String accept) {
        for (String range : accept.split(",")) {
            int semicolon = range.indexOf(';');
            String type = (semicolon < 0 ? range : range.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
            if ((type.equals("*/*") || type.equals("application/*") || type.equals("application/json"))
                    && !refused(range, semicolon)) {
                return true;
            }
        }
        return false;
    }

    /** {@code q=0}: the client does not take it. */
    private static boolean refused(String range, int semicolon) {
        if (semicolon < 0) {
            return false;
        }
        for (String parameter : range.substring(semicolon + 1).split(";")) {
            String p = parameter.trim();
            if (p.startsWith("q=") || p.startsWith("Q=")) {
                try {
                    return Double.parseDouble(p.substring(2)) <= 0;
                } catch (NumberFormatException e) {
                    return false;
                }
            }
        }
        return false;
    }
}
