package dev.kvstore.problem;

import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Every problem type the service answers, {@code urn:kv-store:problem:<slug>}, with its status and title: the one
 * catalogue. The table of problem types in docs/api.md and the OpenAPI document's examples are derived from
 * it ({@code ProblemCatalogueTest} checks docs/api.md). Refusals that have no type of their own (an unknown route
 * 404, a wrong method 405, a wrong content type 415, a request line Tomcat refuses) are {@code about:blank} with
 * the HTTP reason phrase as the title ({@link ProblemWriter#writePlain}).
 */
public enum ProblemType {
    INVALID_KEY(400, "Invalid key", "empty or too long key, bad percent-encoding, not UTF-8, or NUL",
            "The key is 1025 UTF-8 bytes; the limit is 1024."),
    MALFORMED_JSON(400, "Malformed JSON", "the body is not JSON (including `NaN`/`Infinity` literals)",
            "The body is not valid JSON: Unexpected end-of-input within/between Object entries (line 1, column 29)"),
    INVALID_VALUE(400, "Invalid value", "missing, unknown or duplicated member; unknown type; value not matching its"
            + " type; integer out of range; non-finite float",
            "A value of this type must be a JSON integer, not a number with a fraction or exponent."),
    INVALID_PRECONDITION(400, "Invalid precondition", "`If-Match` or `If-None-Match` is not `*` or a list of quoted"
            + " entity tags", "If-Match must be * or a list of entity tags such as \"42\" (with the quotes), not: 42"),
    INVALID_QUERY(400, "Invalid query", "`GET /keys` with an unknown or repeated parameter, a `limit` out of range,"
            + " or bad percent-encoding", "limit must be an integer from 1 to 1000 (kv.list.max-limit), not \"5000\"."),
    INVALID_CURSOR(400, "Invalid cursor", "a cursor that is not ours or belongs to another prefix",
            "The cursor is not valid: it belongs to a listing of another prefix. Use the cursor or the next URL of"
                    + " the previous page as it is, or leave it out to start over."),
    INVALID_BATCH(400, "Invalid batch", "a batch that is empty, repeats a key, or has an operation that is not"
            + " valid", "Operation 2 repeats the key \"a\"; each key may appear once in a batch."),
    INVALID_READ_CONSISTENCY(400, "Invalid read consistency", "cluster mode: `Read-Consistency` is neither"
            + " `linearizable` nor `stale`", "Read-Consistency must be \"linearizable\" (the default) or \"stale\","
            + " not \"eventual\"."),
    INVALID_MEMBER(400, "Invalid member", "cluster mode: `POST /admin/cluster/members` with an id or address that is"
            + " not valid", "Cluster address must be host:port: kv4."),
    INVALID_LEASE(400, "Invalid lease", "a lease's `ttlSeconds` or a `ttl` out of range (1 s to 365 days), a"
            + " `lease` that is not a lease id, `lease` and `ttl` together, or a grant body that is not"
            + " `{\"ttlSeconds\": n}`", "\"ttlSeconds\" must be a whole number of seconds from 1 to 31536000 (365 days)."),
    INVALID_IDEMPOTENCY_KEY(400, "Invalid idempotency key", "an `Idempotency-Key` that is not 1 to 255 visible ASCII"
            + " characters, or sent twice", "Idempotency-Key must be 1 to 255 visible ASCII characters, bare or as a"
            + " quoted string (\"8e03978e-40d5-43e8-bc93-6894a57f9324\")."),
    INVALID_PATH(400, "Invalid path", "a path with `.` or `..` segments (plain or percent-encoded), on which routing"
            + " and security could disagree", "The path has a . or .. segment; encode a key's slashes as %2F."),
    UNAUTHORIZED(401, "Unauthorized", "no token, or an unknown one; with `WWW-Authenticate: Bearer`",
            "This needs a token: send the header 'Authorization: Bearer <token>'."),
    FORBIDDEN(403, "Forbidden", "the token's role or key prefix does not cover the request; with"
            + " `WWW-Authenticate: Bearer error=\"insufficient_scope\"`",
            "This token is limited to a key prefix that the key \"billing/x\" is not under."),
    PROTECTED_MODE(403, "Protected mode", "no token is configured and the client is not on loopback (see"
            + " Security in docs/operations.md)",
            "No token is configured, so this server answers loopback clients only."
            + " Configure a token and send it as 'Authorization: Bearer <token>', or turn this off deliberately with"
            + " kv.security.protected-mode=false."),
    CROSS_SITE(403, "Cross-site request", "no token is configured and a web page of another origin sent the request"
            + " through the browser", "No token is configured, so a request a web page of another origin makes"
            + " through the browser (Origin: https://example.com, Sec-Fetch-Site: cross-site) is refused."),
    KEY_NOT_FOUND(404, "Key not found", "GET or DELETE of a key with no value",
            "No value is stored under the key \"greeting\"."),
    MEMBER_NOT_FOUND(404, "Member not found", "cluster mode: `DELETE /admin/cluster/members/{id}` of an id that is"
            + " not a member", "'n9' is not a member of the cluster [n1=kv1:9090, n2=kv2:9090, n3=kv3:9090]."),
    LEASE_NOT_FOUND(404, "Lease not found", "`GET`, keepalive or `DELETE` of a lease that expired, was revoked or"
            + " never was", "There is no lease \"40\": it expired, was revoked, or never was. Grant a new one with"
            + " POST /leases."),
    COMPACTION_RUNNING(409, "Compaction running", "`POST /admin/compaction` while one runs",
            "A compaction is already running; its result will show in the wal health details and the metrics."),
    NOT_A_NUMBER(409, "Not a number", "`PATCH` increment of a string",
            "The key \"greeting\" holds a string; only integer and float values can be incremented.",
            "currentRevision", 42),
    TYPE_MISMATCH(409, "Type mismatch", "`PATCH` increment of an integer by a number with a fraction or exponent",
            "The key \"counter\" holds an integer, which takes only an integer step, not -0.5.",
            "currentRevision", 42),
    OVERFLOW(409, "Overflow", "`PATCH` increment past the 64-bit integer range, or to a float that is not finite",
            "Adding 1 to 9223372036854775807 under the key \"counter\" leaves the range of a signed 64-bit integer;"
                    + " nothing was written.", "currentRevision", 42),
    COMPACTED(410, "Revision compacted", "`GET /watch` from a revision older than the history the server holds"
            + " (`kv.history.retention`); carries `compactRevision`, the oldest revision a watch can start from",
            "Revision 5 is older than the history this server holds, which starts at revision 1203"
                    + " (kv.history.retention): the changes in between are no longer known. List the keys (GET"
                    + " /keys?prefix=app%2F; every page carries the revision it was read at), then watch from the"
                    + " first page's revision + 1.", "compactRevision", 1203L),
    MEMBERSHIP_CONFLICT(409, "Membership conflict", "cluster mode: another membership change ran meanwhile, or the"
            + " configuration is not the one this node knew", "Could not remove n3: the configuration changed"
            + " meanwhile."),
    UNKNOWN_LEASE(409, "Unknown lease", "a write attaches its key to a lease that does not exist (expired, revoked,"
            + " never granted); carries `lease` (a batch: `failedOperation` and `results` too)", "The lease \"40\""
            + " does not exist: it expired, was revoked, or never was; nothing was written. Grant a new one with POST"
            + " /leases.", "lease", "40"),
    IDEMPOTENCY_KEY_IN_FLIGHT(409, "Idempotency key in flight", "a request repeats the `Idempotency-Key` of one"
            + " still being processed; nothing was done; carries `Retry-After`", "The first request with the"
            + " Idempotency-Key \"b-7\" is still being processed; nothing was done. Repeat this request once it is"
            + " answered, and you get its answer."),
    PRECONDITION_FAILED(412, "Precondition failed", "`If-Match`/`If-None-Match` or a batch's `ifRevision`/`ifAbsent`"
            + " does not hold; carries `currentRevision` (a batch: `failedOperation` and `results`)",
            "The key \"greeting\" is at revision 43 (ETag \"43\"), so the precondition does not hold; nothing was"
                    + " written.", "currentRevision", 43),
    TOO_LARGE(413, "Content too large", "body over `kv.limits.max-request-size` (refused before it is read when"
            + " `Content-Length` says so), value over `kv.limits.max-value-size`, or a batch over `kv.batch.*`",
            "The request body is 8454145 bytes; the limit is 8454144 bytes (kv.limits.max-request-size)."),
    HOST_NOT_LOOPBACK(421, "Host not loopback", "no token is configured and the `Host` does not name loopback (DNS"
            + " rebinding)", "No token is configured, so this server answers only requests addressed to localhost,"
            + " 127.0.0.1 or [::1], and this one was addressed to 'kv.attacker.example'."),
    IDEMPOTENCY_KEY_REUSED(422, "Idempotency key reused", "the `Idempotency-Key` was used before by the same token"
            + " for a different request (method, path, query, conditional headers, body); nothing was done",
            "The Idempotency-Key \"b-7\" was used before for a different request (method, path, query, conditional"
                    + " headers or body); nothing was done. Use a new key for a new request."),
    STORE_UNAVAILABLE(503, "Store unavailable", "the log failed (disk full, I/O error) or did not answer within"
            + " `kv.wal.write-timeout`; writes get this until the store recovers or restarts",
            "The write-ahead log failed (IOException: No space left on device); the store is read-only until it is"
                    + " restarted."),
    OVERLOADED(503, "Overloaded", "the request bodies in flight fill `kv.limits.max-inflight-bytes`; nothing was"
            + " done; carries `Retry-After`", "The server is at its limit of request bytes in flight"
            + " (kv.limits.max-inflight-bytes); nothing of this request was done. Retry after 1 s."),
    ADMIN_OPERATION_FAILED(503, "Admin operation failed", "the disk failed under a compaction or a snapshot; the log"
            + " in use is unchanged", "It failed on the disk (No space left on device). The log in use was not"
            + " changed, and nothing acknowledged was lost."),
    CLUSTER_UNAVAILABLE(503, "Cluster unavailable", "cluster mode: no leader with a majority committed the write"
            + " (its outcome is unknown) or confirmed this node's state for a linearizable read in time; carries"
            + " `Retry-After`", "This node could not confirm with a majority of the cluster that its state is current"
            + " (read barrier failed, no leader with a majority answered in time), so it answers nothing rather than"
            + " something stale. Retry, or send Read-Consistency: stale to read this node's state as it is."),
    INSUFFICIENT_STORAGE(507, "Insufficient storage", "the disk lacks room for a compaction or a snapshot; carries"
            + " `neededBytes` and `usableBytes`", "Compaction needs 17228390 bytes free on the data directory's file"
            + " system (the live data, 10% for writes meanwhile, and a 16 MiB reserve) but only 1048576 are; free some"
            + " space first.", "neededBytes", 17228390L, "usableBytes", 1048576L);

    private final int status;
    private final String title;
    private final String when;
    private final String exampleDetail;
    private final Map<String, Object> exampleExtensions;
    private final URI uri;

    ProblemType(int status, String title, String when, String exampleDetail, Object... extensions) {
        this.status = status;
        this.title = title;
        this.when = when;
        this.exampleDetail = exampleDetail;
        Map<String, Object> ext = new LinkedHashMap<>();
        for (int i = 0; i < extensions.length; i += 2) {
            ext.put((String) extensions[i], extensions[i + 1]);
        }
        this.exampleExtensions = Collections.unmodifiableMap(ext);
        this.uri = URI.create("urn:kv-store:problem:" + slug());
    }

    /** The last part of the type URI: {@code invalid-key}. */
    public String slug() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public URI uri() {
        return uri;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    /** When it is answered, as docs/api.md says it. */
    public String when() {
        return when;
    }

    /** A problem of this type as the service answers it, for documentation. */
    public Map<String, Object> example(String instance) {
        Map<String, Object> example = new LinkedHashMap<>();
        example.put("type", uri.toString());
        example.put("title", title);
        example.put("status", status);
        example.put("detail", exampleDetail);
        example.put("instance", instance);
        example.putAll(exampleExtensions);
        return example;
    }

    /** The types answered with {@code status}. */
    public static java.util.List<ProblemType> withStatus(int status) {
        return java.util.Arrays.stream(values()).filter(t -> t.status == status).toList();
    }
}
