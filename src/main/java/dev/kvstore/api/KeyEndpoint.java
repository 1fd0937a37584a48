package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import dev.kvstore.problem.ProblemWriter;
import dev.kvstore.security.Access;
import dev.kvstore.store.Command;
import dev.kvstore.store.Entry;
import dev.kvstore.store.KeyValueStore;
import dev.kvstore.store.KeyLease;
import dev.kvstore.store.Value;
import dev.kvstore.store.WriteOutcome;
import dev.kvstore.store.WriteResult;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;

/**
 * {@code /keys/{key}}: GET, HEAD, PUT, PATCH and DELETE, with {@code If-Match} and {@code If-None-Match}
 * ({@link Preconditions}), leases ({@code ?lease=}, {@code ?ttl=}: {@link WriteQuery}) and {@code Idempotency-Key}
 * ({@link IdempotentWrites}), every answer and every refusal decided here, in one place. It is the front handler of its
 * path, a filter after the security filter (which decided the caller's role) and before Spring MVC, whose dispatch
 * (handler lookup, argument resolution, content negotiation, message converters) took about half of a request's CPU
 * and adds nothing a key needs. The key is the whole rest of the path (it may hold {@code /}), read from the raw URI
 * by {@link KeyPath}; other paths go on down the chain. Its OpenAPI description is {@link KeyApiDoc}. The store is the
 * single node's, or in cluster mode the replicated one, whose reads first pass {@link ReadConsistency}.
 */
final class KeyEndpoint extends HttpFilter {

    /** The route, as metrics and the OpenAPI document name it. */
    static final String ROUTE = "/keys/{key}";
    static final String ALLOW = "GET, HEAD, PUT, PATCH, DELETE";
    static final String JSON = "application/json";

    private static final Set<String> PUT_QUERY = Set.of("lease", "ttl");
    private static final Set<String> PATCH_QUERY = Set.of("lease");

    private final KeyValueStore store;
    private final IdempotentWrites writes;
    private final ReadConsistency consistency;
    private final long maxRequestBytes;

    KeyEndpoint(KeyValueStore store, IdempotentWrites writes, ReadConsistency consistency, long maxRequestBytes) {
        this.store = store;
        this.writes = writes;
        this.consistency = consistency;
        this.maxRequestBytes = maxRequestBytes;
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!request.getRequestURI().startsWith(KeyPath.PREFIX, request.getContextPath().length())) {
            chain.doFilter(request, response);
            return;
        }
        RequestTimer.route(request, ROUTE);
        try {
            switch (request.getMethod()) {
                case "GET" -> get(request, response, true);
                case "HEAD" -> get(request, response, false);
                case "PUT" -> put(request, response);
                case "PATCH" -> patch(request, response);
                case "DELETE" -> delete(request, response);
                default -> {
                    outOfScope(request);
                    response.setHeader("Allow", ALLOW);
                    ProblemWriter.writePlain(request, response, 405, "Method '" + request.getMethod()
                            + "' is not supported.");
                }
            }
        } catch (RuntimeException e) {
            if (!ApiErrors.answer(request, response, e)) {
                throw e;
            }
        }
    }

    private void get(HttpServletRequest request, HttpServletResponse response, boolean body) throws IOException {
        String key = key(request);
        if (!acceptsJson(request, response)) {
            return;
        }
        Preconditions conditions = Preconditions.of(request);
        consistency.beforeRead(request);
        Entry entry = store.get(key);
        if (!conditions.ifMatchHolds(entry)) {
            throw preconditionFailed(key, entry);
        }
        if (entry == null) {
            throw new ApiProblem(ProblemType.KEY_NOT_FOUND, "No value is stored under the key \"" + key + "\".");
        }
        response.setHeader("ETag", Preconditions.etag(entry.revision()));
        if (conditions.notModified(entry)) {
            response.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
            return;
        }
        answer(response, HttpServletResponse.SC_OK, key, entry, body);
    }

    private void put(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String key = key(request);
        if (!takesJson(request, response) || !acceptsJson(request, response)) {
            return;
        }
        KeyLease lease = WriteQuery.lease(request, PUT_QUERY, KeyLease.NONE);
        Preconditions conditions = Preconditions.of(request);
        RequestBody body = RequestBody.read(request, maxRequestBytes);
        Value value = ValueJson.parse(body.bytes(), body.length(), key);
        WriteResult result = (WriteResult) writes.execute(request, response, body,
                new Command.Put(key, value, conditions.forWrite(), lease));
        written(request, response, key, value, lease, result);
    }

    private void patch(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String key = key(request);
        if (!takesJson(request, response) || !acceptsJson(request, response)) {
            return;
        }
        KeyLease lease = WriteQuery.lease(request, PATCH_QUERY, KeyLease.KEEP);
        Preconditions conditions = Preconditions.of(request);
        RequestBody body = RequestBody.read(request, maxRequestBytes);
        Value step = ValueJson.parseIncrement(body.bytes(), body.length());
        WriteResult result = (WriteResult) writes.execute(request, response, body,
                new Command.Increment(key, step, conditions.forWrite(), lease));
        Entry current = result.entry();
        switch (result.outcome()) {
            case NOT_A_NUMBER -> throw conflict(ProblemType.NOT_A_NUMBER, current, String.format(
                    "The key \"%s\" holds a string; only integer and float values can be incremented.", key));
            case TYPE_MISMATCH -> throw conflict(ProblemType.TYPE_MISMATCH, current, String.format(
                    "The key \"%s\" holds an integer, which takes only an integer step, not %s.", key,
                    ValueJson.text(step)));
            case OVERFLOW -> throw conflict(ProblemType.OVERFLOW, current, String.format(
                    "Adding %s to %s under the key \"%s\" leaves the range of a %s; nothing was written.",
                    ValueJson.text(step), ValueJson.text(current.value()), key,
                    current.value() instanceof Value.Int ? "signed 64-bit integer" : "finite 64-bit float"));
            default -> written(request, response, key, null, lease, result);
        }
    }

    private void delete(HttpServletRequest request, HttpServletResponse response) {
        String key = key(request);
        WriteQuery.lease(request, Set.of(), KeyLease.NONE);
        WriteResult result = (WriteResult) writes.execute(request, response, null,
                new Command.Delete(key, Preconditions.of(request).forWrite()));
        switch (result.outcome()) {
            case NOT_FOUND -> throw new ApiProblem(ProblemType.KEY_NOT_FOUND, "No value is stored under the key \""
                    + key + "\".");
            case PRECONDITION_FAILED -> throw preconditionFailed(key, result.entry());
            default -> response.setStatus(HttpServletResponse.SC_NO_CONTENT);
        }
    }

    /** A method no key has is refused as out of scope, like any other, before it is refused as not allowed. */
    private static void outOfScope(HttpServletRequest request) {
        String key;
        try {
            key = KeyPath.keyOf(request);
        } catch (ApiProblem invalid) {
            return;
        }
        Access.requireKey(request, key, "the key \"" + key + "\"");
    }

    /** The request's key, decoded and checked: a key the caller's token reaches and the store takes. */
    private String key(HttpServletRequest request) {
        String key = KeyPath.keyOf(request);
        Access.requireKey(request, key, "the key \"" + key + "\"");
        store.validateKey(key);
        return key;
    }

    /**
     * Answers a write of {@code key}. A replayed answer shows {@code value}, the value the request sent (a PUT), since
     * the remembered answer an {@code Idempotency-Key} replays keeps no string values; an increment ({@code value}
     * null) shows the entry's, a number, which it keeps.
     */
    private void written(HttpServletRequest request, HttpServletResponse response, String key, Value value,
                         KeyLease lease, WriteResult result) throws IOException {
        if (result.outcome() == WriteOutcome.PRECONDITION_FAILED) {
            throw preconditionFailed(key, result.entry());
        }
        if (result.outcome() == WriteOutcome.LEASE_NOT_FOUND) {
            throw LeaseIds.unknown(((KeyLease.Attach) lease).id());
        }
        Entry written = result.entry();
        Entry entry = value == null || !response.containsHeader(IdempotentWrites.REPLAYED) ? written
                : Entry.of(value, written.revision(), written.createRevision(), written.lease());
        response.setHeader("ETag", Preconditions.etag(entry.revision()));
        if (result.outcome() == WriteOutcome.CREATED) {
            response.setHeader("Location", KeyPath.encode(request.getContextPath(), key));
            answer(response, HttpServletResponse.SC_CREATED, key, entry, true);
        } else {
            answer(response, HttpServletResponse.SC_OK, key, entry, true);
        }
    }

    private static void answer(HttpServletResponse response, int status, String key, Entry entry, boolean body)
            throws IOException {
        response.setStatus(status);
        response.setContentType(JSON);
        byte[] small = EntryJson.small(key, entry);
        if (small != null) {
            response.setContentLength(small.length);
            if (body) {
                response.getOutputStream().write(small);
            }
        } else if (body) {
            EntryJson.stream(response.getOutputStream(), key, entry);
        }
    }

    /** A body must be JSON: 415 otherwise (a charset or other parameter is fine). */
    private static boolean takesJson(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String type = request.getContentType();
        int end = type == null ? -1 : type.indexOf(';');
        String bare = type == null ? null : (end < 0 ? type : type.substring(0, end)).trim();
        if (bare != null && bare.equalsIgnoreCase(JSON)) {
            return true;
        }
        response.setHeader("Accept", JSON);
        ProblemWriter.writePlain(request, response, 415, type == null ? "The body needs Content-Type:"
                + " application/json." : "Content-Type '" + type + "' is not supported; send application/json.");
        return false;
    }

    /** The answer is JSON: 406 when {@code Accept} takes no JSON. */
    private static boolean acceptsJson(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String accept = request.getHeader("Accept");
        if (accept == null || MediaRanges.includeJson(accept)) {
            return true;
        }
        ProblemWriter.writePlain(request, response, 406, "The answer is application/json, which Accept: " + accept
                + " does not take.");
        return false;
    }

    static ApiProblem preconditionFailed(String key, Entry current) {
        ApiProblem p = new ApiProblem(ProblemType.PRECONDITION_FAILED, current == null
                ? String.format("The key \"%s\" has no value, so the precondition does not hold; nothing was written.",
                        key)
                : String.format("The key \"%s\" is at revision %d (ETag \"%d\"), so the precondition does not hold;"
                        + " nothing was written.", key, current.revision(), current.revision()));
        return p.with("currentRevision", current == null ? null : current.revision());
    }

    private static ApiProblem conflict(ProblemType type, Entry current, String detail) {
        return new ApiProblem(type, detail).with("currentRevision", current.revision());
    }
}
