package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import java.util.LinkedHashMap;
import java.util.Map;

/** A request the API refuses, with everything its RFC 9457 problem needs; {@link ApiErrors} answers it. */
final class ApiProblem extends RuntimeException {

    private final ProblemType type;
    private final Map<String, Object> extensions = new LinkedHashMap<>();

    ApiProblem(ProblemType type, String detail) {
        super(detail, null, false, false);
        this.type = type;
    }

    /** Adds an extension member to the problem. */
    ApiProblem with(String name, Object value) {
        extensions.put(name, value);
        return this;
    }

    ProblemType type() {
        return type;
    }

    Map<String, Object> extensions() {
        return extensions;
    }
}
