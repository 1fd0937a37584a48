package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import dev.kvstore.store.KeyLease;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import java.util.Set;

/**
 * The query of a write to {@code /keys/{key}}: {@code lease=<id>} attaches the key to a lease (PUT and PATCH), and
 * {@code ttl=<n>s|m|h} (PUT only) grants a lease of that time to live for the key alone. Anything else is refused,
 * so that a misspelt parameter does not silently write a key without its lease.
 */
final class WriteQuery {

    private WriteQuery() {
    }

    /**
     * What the write does to the key's lease: as the query says, or {@code otherwise} when it says nothing.
     *
     * @param allowed the parameters this method takes
     */
    static KeyLease lease(HttpServletRequest request, Set<String> allowed, KeyLease otherwise) {
        Map<String, String> q = StrictQuery.parse(request, allowed, name -> String.format(
                "Unknown parameter \"%s\": %s /keys/{key} takes %s.", name, request.getMethod(),
                allowed.isEmpty() ? "no parameter" : String.join(" and ", allowed.stream().sorted().toList())));
        String lease = q.get("lease");
        String ttl = q.get("ttl");
        if (lease != null && ttl != null) {
            throw new ApiProblem(ProblemType.INVALID_LEASE, "lease and ttl cannot go together: ttl grants a new"
                    + " lease for the key, lease attaches it to an existing one.");
        }
        if (lease != null) {
            long id = LeaseIds.parse(lease);
            if (id < 0) {
                throw new ApiProblem(ProblemType.INVALID_LEASE, String.format("lease must be a lease id as"
                        + " POST /leases answers it, not \"%s\".", shorten(lease)));
            }
            return KeyLease.of(id);
        }
        return ttl != null ? KeyLease.grant(ttlSeconds(ttl) * 1000) : otherwise;
    }

    /** {@code 30}, {@code 30s}, {@code 5m} or {@code 2h}, in seconds. */
    private static long ttlSeconds(String text) {
        if (!text.matches("[1-9][0-9]{0,8}[smh]?")) {
            throw LeaseIds.invalidTtl("ttl (\"" + shorten(text) + "\": a number with s, m or h)");
        }
        char unit = text.charAt(text.length() - 1);
        long n = Long.parseLong(Character.isDigit(unit) ? text : text.substring(0, text.length() - 1));
        long seconds = unit == 'm' ? n * 60 : unit == 'h' ? n * 3600 : n;
        if (seconds > LeaseIds.MAX_TTL_SECONDS) {
            throw LeaseIds.invalidTtl("ttl (\"" + shorten(text) + "\")");
        }
        return seconds;
    }

    private static String shorten(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

}
