package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Locale;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Cluster mode: makes reads linearizable. Before a {@code GET} or {@code HEAD} of a key ({@link KeyEndpoint}) or of
 * {@code /keys} (as an MVC interceptor) is answered from this node's state, a read barrier makes sure that state holds
 * every write acknowledged anywhere in the cluster before the request arrived (the leader confirms with a majority
 * that it still leads, this node applies up to the leader's commit index). A node that cannot reach a majority gets
 * no barrier and answers 503, never something stale. {@code Read-Consistency: stale} skips the barrier: this node's
 * state as it is, possibly behind. In single-node mode ({@link #SINGLE_NODE}) there is nothing to wait for and the
 * header is not looked at.
 */
final class ReadConsistency implements HandlerInterceptor {

    static final String HEADER = "Read-Consistency";
    static final String LINEARIZABLE = "linearizable";
    static final String STALE = "stale";
    static final ReadConsistency SINGLE_NODE = new ReadConsistency(null);

    private final Runnable barrier;

    /** @param barrier waits for the barrier, or throws {@code ClusterUnavailableException}; null in single-node mode */
    ReadConsistency(Runnable barrier) {
        this.barrier = barrier;
    }

    /** Before a read of {@code request} is answered: waits for the barrier unless the request asks for stale. */
    void beforeRead(HttpServletRequest request) {
        if (barrier == null) {
            return;
        }
        String mode = request.getHeader(HEADER);
        String normalized = mode == null ? LINEARIZABLE : mode.strip().toLowerCase(Locale.ROOT);
        switch (normalized) {
            case LINEARIZABLE -> barrier.run();
            case STALE -> {
                // this node's state as it is
            }
            default -> throw new ApiProblem(ProblemType.INVALID_READ_CONSISTENCY, String.format(
                    "%s must be \"%s\" (the default) or \"%s\", not \"%s\".", HEADER, LINEARIZABLE, STALE, mode));
        }
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        String method = request.getMethod();
        if (method.equals("GET") || method.equals("HEAD")) {
            beforeRead(request);
        }
        return true;
    }
}
