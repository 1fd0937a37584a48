package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** A request body read with a hard limit: a declared length above it is refused before a byte is read. */
record RequestBody(byte[] bytes, int length) {

    private static final int INITIAL_BYTES = 1024;

    static RequestBody read(HttpServletRequest request, long limit) throws IOException {
        long declared = request.getContentLengthLong();
        if (declared > limit) {
            throw tooLarge(declared + " bytes", limit);
        }
        int cap = (int) Math.min(limit, Integer.MAX_VALUE - 16);
        byte[] buf = new byte[(int) Math.min(declared >= 0 ? declared : INITIAL_BYTES, cap) + 1];
        int n = 0;
        try (InputStream in = request.getInputStream()) {
            for (int r; (r = in.read(buf, n, buf.length - n)) >= 0; ) {
                n += r;
                if (n > cap) {
                    throw tooLarge("more than " + cap + " bytes", limit);
                }
                if (n == buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, cap + 1L));
                }
            }
        }
        return new RequestBody(buf, n);
    }

    private static ApiProblem tooLarge(String size, long limit) {
        return new ApiProblem(ProblemType.TOO_LARGE, String.format(
                "The request body is %s; the limit is %d bytes (kv.limits.max-request-size).", size, limit));
    }
}
