package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import dev.kvstore.problem.ProblemWriter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import jakarta.servlet.http.HttpFilter;

/**
 * Admits a request with a body only when its share of the {@link InflightBudget} is free: by its declared
 * {@code Content-Length}, or, for a body without one, by the request size limit it may grow to. A body over that
 * limit is not counted, since it is refused with 413 before a byte of it is read. A request that finds no room in
 * time gets 503 {@code application/problem+json} with {@code Retry-After}; its body is read and dropped first (up to
 * the size limit), so that the client, still sending it, reads the answer instead of a reset connection.
 */
final class InflightBudgetFilter extends HttpFilter {

    static final String RETRY_AFTER_SECONDS = "1";

    private final InflightBudget budget;
    private final long maxRequestBytes;
    InflightBudgetFilter(InflightBudget budget, long maxRequestBytes) {
        this.budget = budget;
        this.maxRequestBytes = maxRequestBytes;
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long size = bodySize(request);
        if (size <= 0 || size > maxRequestBytes) {
            chain.doFilter(request, response);
            return;
        }
        int share = budget.share(size);
        boolean admitted;
        try {
            admitted = budget.take(share);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            admitted = false;
        }
        if (!admitted) {
            refuse(request, response);
            return;
        }
        try {
            chain.doFilter(request, response);
        } finally {
            budget.giveBack(share);
        }
    }

    /** The declared length; for a chunked body, the most it may grow to; 0 without a body. */
    private long bodySize(HttpServletRequest request) {
        long declared = request.getContentLengthLong();
        if (declared >= 0) {
            return declared;
        }
        return request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null ? maxRequestBytes : 0;
    }

    private void refuse(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!drain(request.getInputStream())) {
            // More than any acceptable body: stop reading, and do not keep the connection.
            response.setHeader(HttpHeaders.CONNECTION, "close");
        }
        response.setHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
        ProblemWriter.write(request, response, ProblemType.OVERLOADED, "The server is at its limit of request bytes"
                + " in flight (kv.limits.max-inflight-bytes); nothing of this request was done. Retry after "
                + RETRY_AFTER_SECONDS + " s.", Map.of());
    }

    /** Reads the body to its end, at most the size limit; true when it ended within it. */
    private boolean drain(ServletInputStream in) throws IOException {
        byte[] buffer = new byte[8192];
        long read = 0;
        for (int n; (n = in.read(buffer)) >= 0; ) {
            read += n;
            if (read > maxRequestBytes) {
                return false;
            }
        }
        return true;
    }
}
