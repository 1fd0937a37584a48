package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
/**
 * Lease ids as the API shows them: strings of the decimal id (the revision that granted the lease), so that
 * clients treat them as opaque. Times to live are whole seconds.
 */
final class LeaseIds {

    /** The longest time to live, in seconds: 365 days, as the engine takes. */
    static final long MAX_TTL_SECONDS = 365L * 24 * 3600;

    private LeaseIds() {
    }

    /** The id in {@code text}, or -1 when it is not one (1 to 19 digits, positive, no sign or leading zero). */
    static long parse(String text) {
        if (text == null || text.isEmpty() || text.length() > 19 || text.charAt(0) == '0'
                || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static String format(long id) {
        return Long.toString(id);
    }

    static ApiProblem notFound(String id) {
        return new ApiProblem(ProblemType.LEASE_NOT_FOUND, String.format("There is no lease \"%s\": it expired,"
                + " was revoked, or never was. Grant a new one with POST /leases.", id));
    }

    static ApiProblem unknown(long id) {
        return new ApiProblem(ProblemType.UNKNOWN_LEASE, String.format("The lease \"%d\" does not exist: it"
                + " expired, was revoked, or never was; nothing was written. Grant a new one with POST /leases.", id))
                .with("lease", format(id));
    }

    static ApiProblem invalidTtl(String what) {
        return new ApiProblem(ProblemType.INVALID_LEASE, what + " must be a whole number of seconds from 1 to "
                + MAX_TTL_SECONDS + " (365 days).");
    }
}
