package dev.kvstore.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Locale;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Cluster mode: makes reads of keys linearizable. Before a {@code GET} or {@code HEAD} of {@code /keys} or a key is
 * answered from this node's state, a read barrier makes sure that state holds every write acknowledged anywhere in
 * the cluster before the request arrived (a ReadIndex: the leader confirms it still leads, this node applies up to
 * the leader's commit index). A node that cannot reach a majority gets no barrier and answers 503, never something
 * stale. {@code Read-Consistency: stale} skips the barrier: this node's state as it is, possibly behind.
 */
final class ReadBarrierInterceptor implements HandlerInterceptor {

    static final String HEADER = "Read-Consistency";
    static final String LINEARIZABLE = "linearizable";
    static final String STALE = "stale";

    private final Runnable barrier;

    /** @param barrier waits for the barrier, or throws {@code ClusterUnavailableException} */
    ReadBarrierInterceptor(Runnable barrier) {
        this.barrier = barrier;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        String method = request.getMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return true;
        }
        String mode = request.getHeader(HEADER);
        String normalized = mode == null ? LINEARIZABLE : mode.strip().toLowerCase(Locale.ROOT);
        switch (normalized) {
            case LINEARIZABLE -> barrier.run();
            case STALE -> {
                // this node's state as it is
            }
            default -> throw new ApiProblem(ApiProblem.Type.INVALID_READ_CONSISTENCY, String.format(
                    "%s must be \"%s\" (the default) or \"%s\", not \"%s\".", HEADER, LINEARIZABLE, STALE, mode));
        }
        return true;
    }
}
