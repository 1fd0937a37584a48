package dev.kvstore.api;

import dev.kvstore.cluster.ClusterUnavailableException;
import dev.kvstore.problem.ProblemType;
import dev.kvstore.problem.ProblemWriter;
import dev.kvstore.security.Access;
import dev.kvstore.store.CompactionRunningException;
import dev.kvstore.store.InsufficientSpaceException;
import dev.kvstore.store.InvalidEntryException;
import dev.kvstore.store.StoreUnavailableException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Which problem answers a refusal: the API's own ({@link ApiProblem}), the engine's, the security package's and
 * cluster mode's ({@link ClusterUnavailableException}). Used
 * by the key endpoint and by the exception handler of the other routes, so that a refusal reads the same wherever it
 * happens.
 */
final class ApiErrors {

    private static final Log LOG = LogFactory.getLog(ApiErrors.class);

    private ApiErrors() {
    }

    /**
     * Answers {@code e} when it is a refusal this class knows; returns false, having written nothing, otherwise (a
     * bug: the container answers 500).
     */
    static boolean answer(HttpServletRequest request, HttpServletResponse response, RuntimeException e)
            throws IOException {
        if (response.isCommitted()) {
            return false;
        }
        response.resetBuffer();
        if (e instanceof ApiProblem p) {
            ProblemWriter.write(request, response, p.type(), p.getMessage(), p.extensions());
        } else if (e instanceof InvalidEntryException i) {
            ProblemWriter.write(request, response, typeOf(i), sentence(i.getMessage()), Map.of());
        } else if (e instanceof StoreUnavailableException u) {
            LOG.warn("Refused a write: " + u.getMessage());
            ProblemWriter.write(request, response, ProblemType.STORE_UNAVAILABLE, sentence(u.getMessage()), Map.of());
        } else if (e instanceof Access.OutOfScopeException o) {
            Access.refuse(request, response, o);
        } else if (e instanceof CompactionRunningException c) {
            ProblemWriter.write(request, response, ProblemType.COMPACTION_RUNNING, sentence(c.getMessage()), Map.of());
        } else if (e instanceof ClusterUnavailableException c) {
            LOG.warn("Refused: " + c.getMessage());
            response.setHeader("Retry-After", "1");
            ProblemWriter.write(request, response, ProblemType.CLUSTER_UNAVAILABLE, clusterDetail(request, c), Map.of());
        } else if (e instanceof InsufficientSpaceException s) {
            LOG.warn("Refused: " + s.getMessage());
            Map<String, Object> sizes = new LinkedHashMap<>();
            sizes.put("neededBytes", s.needed());
            sizes.put("usableBytes", s.usable());
            ProblemWriter.write(request, response, ProblemType.INSUFFICIENT_STORAGE, sentence(s.getMessage()), sizes);
        } else {
            return false;
        }
        return true;
    }

    /**
     * A write's outcome is unknown (it may still commit); a read returned nothing rather than something stale.
     */
    private static String clusterDetail(HttpServletRequest request, ClusterUnavailableException e) {
        boolean read = request.getMethod().equals("GET") || request.getMethod().equals("HEAD");
        return read
                ? "This node could not confirm with a majority of the cluster that its state is current ("
                        + e.getMessage() + "), so it answers nothing rather than something stale. Retry, or send"
                        + " Read-Consistency: stale to read this node's state as it is."
                : "The cluster did not commit this write in time (" + e.getMessage() + "). Its outcome is unknown: it"
                        + " may still be applied. Retry with a precondition (If-Match), or read the key to find out.";
    }

    private static ProblemType typeOf(InvalidEntryException e) {
        return switch (e.reason()) {
            case EMPTY_KEY, KEY_TOO_LONG -> ProblemType.INVALID_KEY;
            case VALUE_TOO_LARGE, BATCH_TOO_LARGE -> ProblemType.TOO_LARGE;
            case NOT_UNICODE, NOT_FINITE, NOT_A_NUMBER -> ProblemType.INVALID_VALUE;
            case INVALID_BATCH -> ProblemType.INVALID_BATCH;
            case INVALID_LEASE -> ProblemType.INVALID_LEASE;
            case INVALID_IDEMPOTENCY_KEY -> ProblemType.INVALID_IDEMPOTENCY_KEY;
        };
    }

    static String sentence(String message) {
        return Character.toUpperCase(message.charAt(0)) + message.substring(1) + ".";
    }
}
