package dev.kvstore.security;

/**
 * Whether a raw request URI has a {@code .} or {@code ..} segment, plain or percent-encoded ({@code %2e}), with or
 * without {@code ;} parameters. The container resolves such segments before it routes, while keys are read from the
 * raw path: refusing them keeps routing, security and the key on one path.
 */
final class DotSegments {

    private DotSegments() {
    }

    static boolean in(String uri) {
        int start = 0;
        int n = uri.length();
        while (start <= n) {
            int end = uri.indexOf('/', start);
            if (end < 0) {
                end = n;
            }
            if (isDot(uri, start, end)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    /** The segment {@code uri[from, to)}, its parameters dropped and {@code %2e} decoded, is "." or "..". */
    private static boolean isDot(String uri, int from, int to) {
        int semicolon = uri.indexOf(';', from);
        if (semicolon >= 0 && semicolon < to) {
            to = semicolon;
        }
        int dots = 0;
        for (int i = from; i < to; ) {
            if (uri.charAt(i) == '.') {
                i++;
            } else if (uri.startsWith("%2e", i) || uri.startsWith("%2E", i)) {
                i += 3;
            } else {
                return false;
            }
            dots++;
        }
        return dots == 1 || dots == 2;
    }
}
