package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import dev.kvstore.KvProperties;
import dev.kvstore.security.Access;
import dev.kvstore.security.Caller;
import dev.kvstore.store.Command;
import dev.kvstore.store.KeyValueStore;
import dev.kvstore.store.Lease;
import dev.kvstore.store.LeaseResult;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/**
 * {@code /leases}: grant, keep alive, read and revoke leases. A key attached to a lease ({@code ?lease=} on a write)
 * is deleted when the lease ends, every such key in one revision. Deadlines belong to the engine's expiry
 * ({@code LeaseExpiry}): never before the time to live has passed since the last keepalive, and in steady state
 * within a second after. In cluster mode the same, through the log, with the deadlines kept by the leader, which
 * keepalives and reads of a lease reach from any node.
 */
@RestController
class LeaseController implements LeaseApi {

    private final KeyValueStore store;
    private final IdempotentWrites writes;
    private final long maxRequestBytes;

    LeaseController(KeyValueStore store, IdempotentWrites writes, KvProperties properties) {
        this.store = store;
        this.writes = writes;
        this.maxRequestBytes = properties.limits().maxRequestBytes();
    }

    @Override
    @PostMapping(path = "/leases", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<LeaseView> grant(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        RequestBody body = RequestBody.read(request, maxRequestBytes);
        long ttl = ttlSeconds(body);
        // With an Idempotency-Key, a repeat answers the lease the first request granted, and grants none.
        LeaseResult granted = (LeaseResult) writes.execute(request, response, body,
                new Command.GrantLease(Duration.ofSeconds(ttl).toMillis()));
        String id = LeaseIds.format(granted.lease());
        Lease now = store.lease(granted.lease());
        return ResponseEntity.created(URI.create(request.getContextPath() + "/leases/" + id))
                .body(new LeaseView(id, ttl, now == null ? 0 : now.remainingMillis(), null));
    }

    @Override
    @PostMapping(path = "/leases/{id}/keepalive", produces = MediaType.APPLICATION_JSON_VALUE)
    public LeaseView keepAlive(@PathVariable("id") String id) {
        long lease = LeaseIds.parse(id);
        long ttl = lease < 0 ? -1 : store.keepLeaseAlive(lease);
        if (ttl < 0) {
            throw LeaseIds.notFound(id);
        }
        return new LeaseView(id, ttl / 1000, ttl, null);
    }

    @Override
    @GetMapping(path = "/leases/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    public LeaseView get(HttpServletRequest request, @PathVariable("id") String id) {
        long lease = LeaseIds.parse(id);
        Lease l = lease < 0 ? null : store.lease(lease);
        if (l == null) {
            throw LeaseIds.notFound(id);
        }
        Caller caller = Access.caller(request);
        List<String> keys = caller == null || caller.prefix() == null ? l.keys()
                : l.keys().stream().filter(caller::mayUseKey).toList();
        return new LeaseView(id, l.ttlMillis() / 1000, l.remainingMillis(), keys);
    }

    @Override
    @DeleteMapping(path = "/leases/{id}")
    public ResponseEntity<Void> revoke(HttpServletRequest request, @PathVariable("id") String id) {
        long lease = LeaseIds.parse(id);
        if (lease < 0) {
            throw LeaseIds.notFound(id);
        }
        Caller caller = Access.caller(request);
        LeaseResult r = store.revokeLease(lease, caller == null ? null : caller.prefix());
        return switch (r.outcome()) {
            case REVOKED -> ResponseEntity.noContent().build();
            case OUT_OF_SCOPE -> throw Access.outOfScope("some key attached to this lease");
            default -> throw LeaseIds.notFound(id);
        };
    }

    /** The body of a grant: exactly {@code {"ttlSeconds": n}}. */
    private static long ttlSeconds(RequestBody body) {
        Long ttl = null;
        if (body.length() == 0) {
            throw invalid("The body is empty; send {\"ttlSeconds\": 30}.");
        }
        try (JsonParser p = ValueJson.parser(body.bytes(), body.length())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw invalid("The body must be a JSON object: {\"ttlSeconds\": 30}.");
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (!name.equals("ttlSeconds")) {
                    throw invalid(String.format("Unknown member \"%s\": the body takes only \"ttlSeconds\".", name));
                }
                if (ttl != null) {
                    throw invalid("\"ttlSeconds\" appears twice.");
                }
                if (v != JsonToken.VALUE_NUMBER_INT) {
                    throw LeaseIds.invalidTtl("\"ttlSeconds\"");
                }
                try {
                    ttl = Long.parseLong(p.getString());
                } catch (NumberFormatException e) {
                    throw LeaseIds.invalidTtl("\"ttlSeconds\"");
                }
            }
            if (p.nextToken() != null) {
                throw ValueJson.malformed("Unexpected content after the JSON object.");
            }
        } catch (JacksonException e) {
            throw ValueJson.malformed(ValueJson.describe(e));
        }
        if (ttl == null) {
            throw invalid("\"ttlSeconds\" is missing: send {\"ttlSeconds\": 30}.");
        }
        if (ttl < 1 || ttl > LeaseIds.MAX_TTL_SECONDS) {
            throw LeaseIds.invalidTtl("\"ttlSeconds\"");
        }
        return ttl;
    }

    private static ApiProblem invalid(String detail) {
        return new ApiProblem(ProblemType.INVALID_LEASE, detail);
    }
}
