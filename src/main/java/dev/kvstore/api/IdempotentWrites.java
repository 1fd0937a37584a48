package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import dev.kvstore.security.Access;
import dev.kvstore.security.Caller;
import dev.kvstore.store.Command;
import dev.kvstore.store.CommandResult;
import dev.kvstore.store.IdempotentResult;
import dev.kvstore.store.KeyValueStore;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;

/**
 * Runs the writes of {@code /keys/{key}} and {@code /batch}, once per {@code Idempotency-Key} when the request
 * carries one (draft-ietf-httpapi-idempotency-key-header): the first request is decided, and its result is
 * remembered by the store with the key, in the same log frame as the write; a repeat (same caller, same key, same
 * request) is answered from that record, with {@code Idempotent-Replayed: true}, and writes nothing. The caller is
 * the request's token (by name), so one caller's key never answers another's request. The request is identified by
 * a SHA-256 of its method, path and query, its {@code If-Match} and {@code If-None-Match}, and its body.
 *
 * <p>A refusal that the store decided (a failed precondition, an increment of a string, an unknown lease) is
 * remembered as well: a repeat gets the same answer. A request refused before it reaches the store (a bad body, too
 * large) or that the store could not write (503) leaves no record: repeating it decides it again.
 */
@Component
class IdempotentWrites {

    static final String HEADER = "Idempotency-Key";
    static final String REPLAYED = "Idempotent-Replayed";

    private final KeyValueStore store;

    IdempotentWrites(KeyValueStore store) {
        this.store = store;
    }

    /** Runs {@code command} (once per idempotency key, when the request has one) and returns what it answers. */
    CommandResult execute(HttpServletRequest request, HttpServletResponse response, RequestBody body,
                          Command command) {
        String key = key(request);
        if (key == null) {
            return store.execute(command);
        }
        Caller caller = Access.caller(request);
        IdempotentResult r = store.idempotent(caller == null ? "anonymous" : caller.name(), key,
                fingerprint(request, body), command);
        return switch (r.status()) {
            case APPLIED -> r.result();
            case REPLAYED -> {
                response.setHeader(REPLAYED, "true");
                yield r.result();
            }
            case MISMATCH -> throw new ApiProblem(ProblemType.IDEMPOTENCY_KEY_REUSED, String.format("The"
                    + " Idempotency-Key \"%s\" was used before for a different request (method, path, query,"
                    + " conditional headers or body); nothing was done. Use a new key for a new request.", key));
            case IN_FLIGHT -> {
                response.setHeader(HttpHeaders.RETRY_AFTER, "1");
                throw new ApiProblem(ProblemType.IDEMPOTENCY_KEY_IN_FLIGHT, String.format("The first request"
                        + " with the Idempotency-Key \"%s\" is still being processed; nothing was done. Repeat this"
                        + " request once it is answered, and you get its answer.", key));
            }
        };
    }

    /**
     * The request's idempotency key, or {@code null} when it has none: a structured-field string ({@code "..."}, as
     * the draft writes it) or the bare value, of 1 to 255 visible ASCII characters.
     */
    static String key(HttpServletRequest request) {
        List<String> values = Collections.list(request.getHeaders(HEADER));
        if (values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw invalid("Send one Idempotency-Key header, not " + values.size() + ".");
        }
        String raw = values.get(0).strip();
        String key = raw.length() >= 2 && raw.startsWith("\"") && raw.endsWith("\"") ? unquote(raw) : raw;
        if (key == null || key.isEmpty() || key.length() > 255 || !key.chars().allMatch(c -> c >= 0x20 && c <= 0x7E)) {
            throw invalid("Idempotency-Key must be 1 to 255 visible ASCII characters, bare or as a quoted string"
                    + " (\"8e03978e-40d5-43e8-bc93-6894a57f9324\").");
        }
        return key;
    }

    /** The content of a structured-field string, or {@code null} when it is not one. */
    private static String unquote(String quoted) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < quoted.length() - 1; i++) {
            char c = quoted.charAt(i);
            if (c == '\\') {
                if (++i == quoted.length() - 1 || (quoted.charAt(i) != '"' && quoted.charAt(i) != '\\')) {
                    return null;
                }
                c = quoted.charAt(i);
            } else if (c == '"') {
                return null;
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** What identifies the request: method, path and query as sent, the conditional headers, the body. */
    static Command.Fingerprint fingerprint(HttpServletRequest request, RequestBody body) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        for (String part : new String[] {request.getMethod(), request.getRequestURI(), request.getQueryString(),
                request.getHeader(HttpHeaders.IF_MATCH), request.getHeader(HttpHeaders.IF_NONE_MATCH)}) {
            // Each part with its length, -1 for one that is absent, so that no two requests run together.
            byte[] b = part == null ? new byte[0] : part.getBytes(StandardCharsets.UTF_8);
            sha.update(ByteBuffer.allocate(4).putInt(part == null ? -1 : b.length).array());
            sha.update(b);
        }
        int length = body == null ? 0 : body.length();
        sha.update(ByteBuffer.allocate(4).putInt(length).array());
        if (length > 0) {
            sha.update(body.bytes(), 0, length);
        }
        return Command.Fingerprint.of(sha.digest());
    }

    private static ApiProblem invalid(String detail) {
        return new ApiProblem(ProblemType.INVALID_IDEMPOTENCY_KEY, detail);
    }
}
