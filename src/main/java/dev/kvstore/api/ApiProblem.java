package dev.kvstore.api;

import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/** A request the API refuses, with everything its RFC 9457 problem needs. */
final class ApiProblem extends RuntimeException {

    /** Problem types: {@code urn:kv-store:problem:<slug>}, documented in the README. */
    enum Type {
        INVALID_KEY(HttpStatus.BAD_REQUEST, "Invalid key"),
        KEY_NOT_FOUND(HttpStatus.NOT_FOUND, "Key not found"),
        MALFORMED_JSON(HttpStatus.BAD_REQUEST, "Malformed JSON"),
        INVALID_VALUE(HttpStatus.BAD_REQUEST, "Invalid value"),
        TOO_LARGE(HttpStatus.CONTENT_TOO_LARGE, "Content too large"),
        STORE_UNAVAILABLE(HttpStatus.SERVICE_UNAVAILABLE, "Store unavailable"),
        OVERLOADED(HttpStatus.SERVICE_UNAVAILABLE, "Overloaded"),
        COMPACTION_RUNNING(HttpStatus.CONFLICT, "Compaction running"),
        INSUFFICIENT_STORAGE(HttpStatus.INSUFFICIENT_STORAGE, "Insufficient storage"),
        PRECONDITION_FAILED(HttpStatus.PRECONDITION_FAILED, "Precondition failed"),
        INVALID_PRECONDITION(HttpStatus.BAD_REQUEST, "Invalid precondition"),
        NOT_A_NUMBER(HttpStatus.CONFLICT, "Not a number"),
        TYPE_MISMATCH(HttpStatus.CONFLICT, "Type mismatch"),
        OVERFLOW(HttpStatus.CONFLICT, "Overflow"),
        INVALID_QUERY(HttpStatus.BAD_REQUEST, "Invalid query"),
        INVALID_CURSOR(HttpStatus.BAD_REQUEST, "Invalid cursor"),
        INVALID_BATCH(HttpStatus.BAD_REQUEST, "Invalid batch"),
        CLUSTER_UNAVAILABLE(HttpStatus.SERVICE_UNAVAILABLE, "Cluster unavailable"),
        INVALID_READ_CONSISTENCY(HttpStatus.BAD_REQUEST, "Invalid read consistency");

        final HttpStatus status;
        final String title;
        final URI uri;

        Type(HttpStatus status, String title) {
            this.status = status;
            this.title = title;
            this.uri = URI.create("urn:kv-store:problem:" + name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        }
    }

    private final Type type;
    private final java.util.Map<String, Object> properties = new java.util.LinkedHashMap<>();

    ApiProblem(Type type, String detail) {
        super(detail, null, false, false);
        this.type = type;
    }

    /** Adds an extension member to the problem. */
    ApiProblem with(String name, Object value) {
        properties.put(name, value);
        return this;
    }

    Type type() {
        return type;
    }

    ProblemDetail toProblemDetail() {
        ProblemDetail pd = problem(type, getMessage());
        properties.forEach(pd::setProperty);
        return pd;
    }

    static ProblemDetail problem(Type type, String detail) {
        ProblemDetail pd = ProblemDetail.forStatusAndDetail(type.status, detail);
        pd.setType(type.uri);
        pd.setTitle(type.title);
        return pd;
    }
}
