package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import jakarta.servlet.http.HttpServletRequest;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A request's query, read from the raw query string and percent-decoded strictly as UTF-8 ({@code +} is a space, as
 * in forms). A parameter that is not allowed, or that appears twice, is refused with 400 {@code invalid-query}, so
 * that a misspelt or repeated one never changes what a request does in silence.
 */
final class StrictQuery {

    private StrictQuery() {
    }

    /**
     * The request's parameters by name, each decoded.
     *
     * @param allowed the parameters the endpoint takes
     * @param unknown the refusal's detail for a parameter outside {@code allowed}, given its name
     */
    static Map<String, String> parse(HttpServletRequest request, Set<String> allowed,
            Function<String, String> unknown) {
        String query = request.getQueryString();
        if (query == null || query.isEmpty()) {
            return Map.of();
        }
        Map<String, String> parameters = new HashMap<>();
        for (String pair : query.split("&", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq), "a parameter name");
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1), "parameter " + name);
            if (!allowed.contains(name)) {
                throw invalid(unknown.apply(name));
            }
            if (parameters.putIfAbsent(name, value) != null) {
                throw invalid("The parameter " + name + " appears twice.");
            }
        }
        return parameters;
    }

    /** A 400 {@code invalid-query} problem with this detail. */
    static ApiProblem invalid(String detail) {
        return new ApiProblem(ProblemType.INVALID_QUERY, detail);
    }

    private static String decode(String raw, String what) {
        try {
            return KeyPath.decodeQuery(raw);
        } catch (IllegalArgumentException e) {
            throw invalid(String.format("The %s is not valid: %s.", what, e.getMessage()));
        }
    }
}
