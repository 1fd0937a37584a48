package dev.kvstore.api;

import dev.kvstore.cluster.ClusterUnavailableException;
import dev.kvstore.store.CompactionRunningException;
import dev.kvstore.store.InsufficientSpaceException;
import dev.kvstore.store.InvalidEntryException;
import dev.kvstore.store.StoreUnavailableException;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Turns every refusal into an RFC 9457 {@code application/problem+json} response: the API's own problems, the
 * engine's refusals, and Spring MVC's (unknown route 404, 405, 415, ...) via the base class.
 */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {

    private static final Log LOG = LogFactory.getLog(ApiExceptionHandler.class);

    @ExceptionHandler(ApiProblem.class)
    ResponseEntity<ProblemDetail> apiProblem(ApiProblem e, HttpServletRequest request) {
        return respond(e.toProblemDetail(), request);
    }

    @ExceptionHandler(InvalidEntryException.class)
    ResponseEntity<ProblemDetail> invalidEntry(InvalidEntryException e, HttpServletRequest request) {
        ApiProblem.Type type = switch (e.reason()) {
            case EMPTY_KEY, KEY_TOO_LONG -> ApiProblem.Type.INVALID_KEY;
            case VALUE_TOO_LARGE -> ApiProblem.Type.TOO_LARGE;
            case NOT_UNICODE, NOT_FINITE, NOT_A_NUMBER -> ApiProblem.Type.INVALID_VALUE;
            case INVALID_BATCH -> ApiProblem.Type.INVALID_BATCH;
            case BATCH_TOO_LARGE -> ApiProblem.Type.TOO_LARGE;
        };
        return respond(ApiProblem.problem(type, sentence(e.getMessage())), request);
    }

    @ExceptionHandler(StoreUnavailableException.class)
    ResponseEntity<ProblemDetail> unavailable(StoreUnavailableException e, HttpServletRequest request) {
        LOG.warn("Refused a write: " + e.getMessage());
        return respond(ApiProblem.problem(ApiProblem.Type.STORE_UNAVAILABLE, sentence(e.getMessage())), request);
    }

    /**
     * Cluster mode: no leader with a majority answered in time. A write's outcome is unknown (it may still commit);
     * a read returned nothing rather than something stale.
     */
    @ExceptionHandler(ClusterUnavailableException.class)
    ResponseEntity<ProblemDetail> clusterUnavailable(ClusterUnavailableException e, HttpServletRequest request) {
        LOG.warn("Refused: " + e.getMessage());
        boolean write = !HttpMethod.GET.matches(request.getMethod()) && !HttpMethod.HEAD.matches(request.getMethod());
        String detail = write
                ? "The cluster did not commit this write in time (" + e.getMessage() + "). Its outcome is unknown: it"
                        + " may still be applied. Retry with a precondition (If-Match), or read the key to find out."
                : "This node could not confirm with a majority of the cluster that its state is current ("
                        + e.getMessage() + "), so it answers nothing rather than something stale. Retry, or send"
                        + " Read-Consistency: stale to read this node's state as it is.";
        ResponseEntity<ProblemDetail> response = respond(ApiProblem.problem(ApiProblem.Type.CLUSTER_UNAVAILABLE,
                detail), request);
        return ResponseEntity.status(response.getStatusCode()).headers(response.getHeaders())
                .header(HttpHeaders.RETRY_AFTER, "1").body(response.getBody());
    }

    @ExceptionHandler(CompactionRunningException.class)
    ResponseEntity<ProblemDetail> compactionRunning(CompactionRunningException e, HttpServletRequest request) {
        return respond(ApiProblem.problem(ApiProblem.Type.COMPACTION_RUNNING, sentence(e.getMessage())), request);
    }

    @ExceptionHandler(InsufficientSpaceException.class)
    ResponseEntity<ProblemDetail> insufficientSpace(InsufficientSpaceException e, HttpServletRequest request) {
        LOG.warn("Refused: " + e.getMessage());
        ProblemDetail problem = ApiProblem.problem(ApiProblem.Type.INSUFFICIENT_STORAGE, sentence(e.getMessage()));
        problem.setProperty("neededBytes", e.needed());
        problem.setProperty("usableBytes", e.usable());
        return respond(problem, request);
    }

    private static String sentence(String message) {
        return Character.toUpperCase(message.charAt(0)) + message.substring(1) + ".";
    }

    private static ResponseEntity<ProblemDetail> respond(ProblemDetail problem, HttpServletRequest request) {
        problem.setInstance(URI.create(request.getRequestURI()));
        return ResponseEntity.status(problem.getStatus()).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }

    @Override
    protected ResponseEntity<Object> createResponseEntity(Object body, HttpHeaders headers, HttpStatusCode status,
                                                          WebRequest request) {
        if (body instanceof ProblemDetail problem && problem.getInstance() == null
                && request instanceof ServletWebRequest servlet) {
            problem.setInstance(URI.create(servlet.getRequest().getRequestURI()));
        }
        return super.createResponseEntity(body, headers, status, request);
    }
}
