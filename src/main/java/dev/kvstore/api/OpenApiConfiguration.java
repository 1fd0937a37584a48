package dev.kvstore.api;

import static dev.kvstore.api.OpenApiSchemas.nullable;
import static dev.kvstore.api.OpenApiSchemas.of;
import static dev.kvstore.api.OpenApiSchemas.object;
import static dev.kvstore.api.OpenApiSchemas.ref;
import static dev.kvstore.problem.ProblemType.*;

import dev.kvstore.KvProperties;
import dev.kvstore.problem.ProblemType;
import dev.kvstore.problem.ProblemWriter;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.examples.Example;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.HeaderParameter;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.json.JsonMapper;

/**
 * The OpenAPI document: the operations Spring MVC dispatches come from their annotations, {@code /keys/{key}} from
 * {@link KeyApiDoc}; every refusal of every operation, its description and its examples come from the problem
 * catalogue ({@link ProblemType}) through {@link #PROBLEMS}, so that no example is copied by hand.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    static final String BEARER = "bearer";
    static final String PROBLEM = ProblemWriter.MEDIA_TYPE;
    static final String PROBLEM_SCHEMA = OpenApiSchemas.REF + "Problem";
    static final String OVERLOADED_DESCRIPTION = "the request bodies in flight already fill"
            + " kv.limits.max-inflight-bytes, and no room came free within kv.limits.inflight-wait; nothing was done"
            + " (overloaded, with Retry-After)";
    static final String RETRY_AFTER = "Seconds to wait before retrying, on overloaded (and cluster-unavailable)";

    /** A batch's 412 names the failed operation and every operation's result instead of one key's revision. */
    private static final String BATCH_PRECONDITION_FAILED = "{\"type\":\"urn:kv-store:problem:precondition-failed\","
            + "\"title\":\"Precondition failed\",\"status\":412,\"detail\":\"The precondition of operation 0 (set"
            + " \\\"a\\\") does not hold: the key is at revision 19. Nothing was written.\",\"instance\":\"/batch\","
            + "\"failedOperation\":0,\"results\":[{\"op\":\"set\",\"key\":\"a\",\"outcome\":\"precondition-failed\","
            + "\"revision\":19,\"createRevision\":5},{\"op\":\"set\",\"key\":\"b\",\"outcome\":\"aborted\"},"
            + "{\"op\":\"delete\",\"key\":\"c\",\"outcome\":\"aborted\",\"revision\":12,\"createRevision\":12}]}";

    /** A batch's unknown-lease names the failed operation and every operation's result. */
    private static final String BATCH_UNKNOWN_LEASE = "{\"type\":\"urn:kv-store:problem:unknown-lease\",\"title\":"
            + "\"Unknown lease\",\"status\":409,\"detail\":\"The lease \\\"40\\\" of operation 1 (set \\\"b\\\") does not"
            + " exist: it expired, was revoked, or never was. Nothing was written.\",\"instance\":\"/batch\","
            + "\"failedOperation\":1,\"lease\":\"40\",\"results\":[{\"op\":\"set\",\"key\":\"a\",\"outcome\":"
            + "\"aborted\"},{\"op\":\"set\",\"key\":\"b\",\"outcome\":\"lease-not-found\"}]}";

    /** What every operation may answer before it runs: the security filter's refusals. */
    private static final List<ProblemType> SECURITY = List.of(UNAUTHORIZED, FORBIDDEN, PROTECTED_MODE, CROSS_SITE,
            HOST_NOT_LOOPBACK);

    /**
     * The refusals of each operation: problem types of the catalogue, and the statuses it answers as
     * {@code about:blank} (406 for an Accept without JSON, 415 for a body that is not JSON).
     */
    static final Map<String, Refusals> PROBLEMS = Map.ofEntries(
            Map.entry("GET /keys/{key}", new Refusals(List.of(INVALID_KEY, INVALID_PATH, INVALID_PRECONDITION,
                    KEY_NOT_FOUND, PRECONDITION_FAILED), 406)),
            Map.entry("PUT /keys/{key}", new Refusals(List.of(INVALID_KEY, INVALID_PATH, MALFORMED_JSON,
                    INVALID_VALUE, INVALID_PRECONDITION, INVALID_QUERY, INVALID_LEASE, INVALID_IDEMPOTENCY_KEY,
                    UNKNOWN_LEASE, IDEMPOTENCY_KEY_IN_FLIGHT, PRECONDITION_FAILED, TOO_LARGE,
                    IDEMPOTENCY_KEY_REUSED, STORE_UNAVAILABLE, OVERLOADED), 406, 415)),
            Map.entry("PATCH /keys/{key}", new Refusals(List.of(INVALID_KEY, INVALID_PATH, MALFORMED_JSON,
                    INVALID_VALUE, INVALID_PRECONDITION, INVALID_QUERY, INVALID_LEASE, INVALID_IDEMPOTENCY_KEY,
                    NOT_A_NUMBER, TYPE_MISMATCH, OVERFLOW, UNKNOWN_LEASE, IDEMPOTENCY_KEY_IN_FLIGHT,
                    PRECONDITION_FAILED, TOO_LARGE, IDEMPOTENCY_KEY_REUSED, STORE_UNAVAILABLE, OVERLOADED), 406, 415)),
            Map.entry("DELETE /keys/{key}", new Refusals(List.of(INVALID_KEY, INVALID_PATH, INVALID_PRECONDITION,
                    INVALID_QUERY, INVALID_IDEMPOTENCY_KEY, KEY_NOT_FOUND, IDEMPOTENCY_KEY_IN_FLIGHT,
                    PRECONDITION_FAILED, IDEMPOTENCY_KEY_REUSED, STORE_UNAVAILABLE))),
            Map.entry("GET /keys", new Refusals(List.of(INVALID_QUERY, INVALID_CURSOR), 406)),
            Map.entry("GET /watch", new Refusals(List.of(INVALID_QUERY, COMPACTED), 406)),
            Map.entry("POST /batch", new Refusals(List.of(MALFORMED_JSON, INVALID_BATCH, INVALID_KEY, INVALID_VALUE,
                    INVALID_IDEMPOTENCY_KEY, UNKNOWN_LEASE, IDEMPOTENCY_KEY_IN_FLIGHT, PRECONDITION_FAILED, TOO_LARGE,
                    IDEMPOTENCY_KEY_REUSED, STORE_UNAVAILABLE, OVERLOADED), 406, 415)
                    .example(PRECONDITION_FAILED, BATCH_PRECONDITION_FAILED)
                    .example(UNKNOWN_LEASE, BATCH_UNKNOWN_LEASE)),
            Map.entry("POST /leases", new Refusals(List.of(MALFORMED_JSON, INVALID_LEASE, INVALID_IDEMPOTENCY_KEY,
                    IDEMPOTENCY_KEY_IN_FLIGHT, TOO_LARGE, IDEMPOTENCY_KEY_REUSED, STORE_UNAVAILABLE, OVERLOADED), 406,
                    415)),
            Map.entry("GET /leases/{id}", new Refusals(List.of(LEASE_NOT_FOUND), 406)),
            Map.entry("POST /leases/{id}/keepalive", new Refusals(List.of(LEASE_NOT_FOUND), 406)),
            Map.entry("DELETE /leases/{id}", new Refusals(List.of(LEASE_NOT_FOUND, STORE_UNAVAILABLE))),
            Map.entry("POST /admin/compaction", new Refusals(List.of(COMPACTION_RUNNING, STORE_UNAVAILABLE,
                    ADMIN_OPERATION_FAILED, INSUFFICIENT_STORAGE))),
            Map.entry("GET /admin/snapshot", new Refusals(List.of(STORE_UNAVAILABLE, ADMIN_OPERATION_FAILED,
                    INSUFFICIENT_STORAGE))));

    /**
     * Cluster mode's refusals besides (or, for the admin operations, instead of) {@link #PROBLEMS}: a read may wait
     * for a majority and names its consistency, a write may not commit in time, and members are added and removed.
     */
    static final Map<String, Refusals> CLUSTER_PROBLEMS = Map.ofEntries(
            Map.entry("GET /keys/{key}", new Refusals(List.of(INVALID_READ_CONSISTENCY, CLUSTER_UNAVAILABLE))),
            Map.entry("GET /keys", new Refusals(List.of(INVALID_READ_CONSISTENCY, CLUSTER_UNAVAILABLE))),
            Map.entry("PUT /keys/{key}", new Refusals(List.of(CLUSTER_UNAVAILABLE))),
            Map.entry("PATCH /keys/{key}", new Refusals(List.of(CLUSTER_UNAVAILABLE))),
            Map.entry("DELETE /keys/{key}", new Refusals(List.of(CLUSTER_UNAVAILABLE))),
            Map.entry("POST /batch", new Refusals(List.of(CLUSTER_UNAVAILABLE))),
            Map.entry("POST /leases", new Refusals(List.of(CLUSTER_UNAVAILABLE))),
            Map.entry("GET /leases/{id}", new Refusals(List.of(CLUSTER_UNAVAILABLE))),
            Map.entry("POST /leases/{id}/keepalive", new Refusals(List.of(CLUSTER_UNAVAILABLE))),
            Map.entry("DELETE /leases/{id}", new Refusals(List.of(CLUSTER_UNAVAILABLE))),
            Map.entry("POST /admin/compaction", new Refusals(List.of(CLUSTER_UNAVAILABLE))),
            Map.entry("GET /admin/snapshot", new Refusals(List.of(ADMIN_OPERATION_FAILED, CLUSTER_UNAVAILABLE))),
            Map.entry("POST /admin/cluster/members", new Refusals(List.of(MALFORMED_JSON, INVALID_MEMBER,
                    MEMBERSHIP_CONFLICT, CLUSTER_UNAVAILABLE), 415)),
            Map.entry("DELETE /admin/cluster/members/{id}", new Refusals(List.of(MEMBER_NOT_FOUND,
                    MEMBERSHIP_CONFLICT, CLUSTER_UNAVAILABLE))));

    static final String READ_CONSISTENCY = "Cluster mode: `linearizable` (the default) answers only after this node"
            + " made sure, with a majority of the cluster, that its state holds every write acknowledged before the"
            + " request; `stale` answers from this node's state as it is, which may miss recent writes, also on a node"
            + " cut off from the majority.";

    /** An operation's refusals; {@code examples} replaces the catalogue's example of a type where it differs. */
    record Refusals(List<ProblemType> types, Map<ProblemType, String> examples, int... plain) {
        Refusals(List<ProblemType> types, int... plain) {
            this(types, Map.of(), plain);
        }

        /** These refusals and {@code more}'s; {@code more}'s examples win. */
        Refusals and(Refusals more) {
            List<ProblemType> all = new ArrayList<>(types);
            more.types().stream().filter(t -> !all.contains(t)).forEach(all::add);
            Map<ProblemType, String> ex = new java.util.EnumMap<>(ProblemType.class);
            ex.putAll(examples);
            ex.putAll(more.examples());
            int[] statuses = java.util.stream.IntStream.concat(java.util.Arrays.stream(plain),
                    java.util.Arrays.stream(more.plain())).distinct().toArray();
            return new Refusals(all, ex, statuses);
        }

        Refusals example(ProblemType type, String json) {
            Map<ProblemType, String> more = new java.util.EnumMap<>(ProblemType.class);
            more.putAll(examples);
            more.put(type, json);
            return new Refusals(types, more, plain);
        }
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Bean
    OpenAPI kvStoreOpenApi() {
        return new OpenAPI().info(new Info().title("KV-Store").version("v1")
                        .description("A crash-safe, persistent key-value store of typed values (string, 64-bit"
                                + " integer, 64-bit float). Every error is RFC 9457 application/problem+json."
                                + " With tokens configured, send one as 'Authorization: Bearer <token>' (the"
                                + " Authorize button); with none, only loopback clients are answered."))
                .components(new Components().addSecuritySchemes(BEARER, new SecurityScheme()
                        .type(SecurityScheme.Type.HTTP).scheme("bearer")
                        .description("A token from kv.security.tokens: read, write or admin")))
                .addSecurityItem(new SecurityRequirement().addList(BEARER))
                // Relative: the document describes whichever address serves it.
                .addServersItem(new Server().url("/").description("The server that serves this document"));
    }

    @Bean
    OpenApiCustomizer contract(KvProperties properties) {
        boolean cluster = properties.cluster().enabled();
        return openApi -> {
            Components components = openApi.getComponents();
            KeyApiDoc.addSchemas(components);
            components.addSchemas("Problem", problemSchema());
            nullables(components);
            openApi.getPaths().addPathItem(KeyEndpoint.ROUTE, KeyApiDoc.pathItem());
            leaseIds(openApi);
            // Documents in a stable order: paths as declared, keys first.
            openApi.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> {
                Refusals refusals = refusalsOf(method.name() + " " + path, cluster);
                if (refusals != null) {
                    refusals(path, op, refusals);
                }
                if (cluster && refusals != null && refusals.types().contains(INVALID_READ_CONSISTENCY)) {
                    op.addParametersItem(new HeaderParameter().name(ReadConsistency.HEADER).required(false)
                            .description(READ_CONSISTENCY).schema(of("string")._enum(List.<Object>of(
                                    ReadConsistency.LINEARIZABLE, ReadConsistency.STALE))
                                    ._default(ReadConsistency.LINEARIZABLE)));
                }
            }));
        };
    }

    private static Refusals refusalsOf(String operation, boolean cluster) {
        Refusals single = PROBLEMS.get(operation);
        Refusals more = cluster ? CLUSTER_PROBLEMS.get(operation) : null;
        if (more == null) {
            return single;
        }
        // The admin operations of cluster mode are others than the single node's: only their own refusals.
        return single == null || operation.contains("/admin/") ? more : single.and(more);
    }

    /** A lease id in a path is a string of digits (the annotations would show its example as a number). */
    private static void leaseIds(OpenAPI openApi) {
        openApi.getPaths().forEach((path, item) -> item.readOperations().forEach(op -> {
            if (op.getParameters() != null) {
                op.getParameters().stream().filter(p -> "path".equals(p.getIn()) && "id".equals(p.getName()))
                        .forEach(p -> p.schema(of("string").pattern(KeyApiDoc.LEASE_PATTERN)).example("40"));
            }
        }));
    }

    private static void refusals(String path, Operation op, Refusals refusals) {
        String instance = path.replace("{key}", "greeting").replace("{id}", "40");
        Map<Integer, List<ProblemType>> byStatus = new TreeMap<>();
        for (ProblemType t : refusals.types()) {
            byStatus.computeIfAbsent(t.status(), s -> new ArrayList<>()).add(t);
        }
        for (ProblemType t : SECURITY) {
            byStatus.computeIfAbsent(t.status(), s -> new ArrayList<>()).add(t);
        }
        for (int status : refusals.plain()) {
            byStatus.putIfAbsent(status, new ArrayList<>());
        }
        byStatus.forEach((status, types) -> {
            MediaType media = new MediaType().schema(ref("Problem"));
            List<String> when = new ArrayList<>();
            for (ProblemType t : types) {
                String own = refusals.examples().get(t);
                media.addExamples(t.slug(), new Example().value(own != null ? parse(own) : t.example(instance)));
                when.add(t.slug() + ": " + t.when());
            }
            for (int plain : refusals.plain()) {
                if (plain == status) {
                    media.addExamples("about-blank-" + plain, new Example().value(parse(new String(ProblemWriter.plain(
                            plain, plainDetail(plain), instance), java.nio.charset.StandardCharsets.UTF_8))));
                    when.add(plainDetail(plain));
                }
            }
            ApiResponse response = op.getResponses().get(Integer.toString(status));
            if (response == null) {
                response = new ApiResponse();
                op.getResponses().addApiResponse(Integer.toString(status), response);
            }
            String described = response.getDescription();
            response.description(described == null || described.isBlank() ? String.join(". ", when)
                    : described + ". " + String.join(". ", when));
            response.content(new Content().addMediaType(PROBLEM, media));
            if (types.contains(OVERLOADED) || types.contains(CLUSTER_UNAVAILABLE)) {
                response.addHeaderObject("Retry-After", new Header().description(RETRY_AFTER).schema(of("integer")));
            }
            if (types.contains(IDEMPOTENCY_KEY_IN_FLIGHT)) {
                response.addHeaderObject("Retry-After", new Header().description("Seconds to wait before repeating,"
                        + " on idempotency-key-in-flight").schema(of("integer")));
            }
            // A refusal the store decided is remembered with an Idempotency-Key, and replayed like an answer.
            if ((status == 404 || status == 409 || status == 412) && op.getParameters() != null
                    && op.getParameters().stream().anyMatch(p -> p.getName().equals("Idempotency-Key"))) {
                response.addHeaderObject("Idempotent-Replayed", KeyApiDoc.replayed());
            }
        });
    }

    private static String plainDetail(int status) {
        return switch (status) {
            case 406 -> "The answer is application/json, which Accept: text/plain does not take.";
            case 415 -> "Content-Type 'text/plain' is not supported; send application/json.";
            default -> ProblemWriter.reasonPhrase(status);
        };
    }

    @SuppressWarnings("rawtypes")
    private static Schema<Object> problemSchema() {
        Map<String, Schema> p = new LinkedHashMap<>();
        Schema<Object> type = of("string", "uri").description("The kind of problem: one of the catalogue's"
                + " (docs/api.md, Errors), or about:blank for a plain HTTP refusal");
        List<Object> uris = new ArrayList<>();
        for (ProblemType t : ProblemType.values()) {
            uris.add(t.uri().toString());
        }
        uris.add("about:blank");
        type.setEnum(uris);
        p.put("type", type);
        p.put("title", of("string").description("Short summary of the kind of problem"));
        p.put("status", of("integer", "int32").description("The HTTP status"));
        p.put("detail", of("string").description("What went wrong with this request, and how to fix it"));
        p.put("instance", of("string", "uri-reference").description("The request path"));
        p.put("currentRevision", nullable(of("integer", "int64").description("precondition-failed, not-a-number,"
                + " type-mismatch, overflow: the key's revision, null when it has no value")));
        p.put("failedOperation", of("integer", "int32").description("precondition-failed or unknown-lease of a"
                + " batch: the index of the first operation that failed"));
        p.put("results", of("array").items(ref("BatchOperationResult")).description("precondition-failed or"
                + " unknown-lease of a batch: every operation, precondition-failed, lease-not-found or aborted, with"
                + " the key's current revision"));
        p.put("lease", of("string").pattern(KeyApiDoc.LEASE_PATTERN).description("unknown-lease: the lease that"
                + " does not exist"));
        p.put("compactRevision", of("integer", "int64").description("compacted: the oldest revision a watch can"
                + " start from"));
        p.put("neededBytes", of("integer", "int64").description("insufficient-storage: the bytes the operation"
                + " needs free"));
        p.put("usableBytes", of("integer", "int64").description("insufficient-storage: the bytes that are free"));
        return object("RFC 9457 problem details, with the extension members of some types", p, "type", "title",
                "status", "detail");
    }

    /** Members that are {@code null} in some answers. */
    @SuppressWarnings("rawtypes")
    private static void nullables(Components components) {
        Map<String, Schema> schemas = components.getSchemas();
        makeNullable(schemas.get("KeyPage"), "cursor", "next");
        makeNullable(schemas.get("CompactionView"), "failure");
        makeNullable(schemas.get("BatchOperationResult"), "revision", "createRevision");
        Schema change = schemas.get("WatchChange");
        if (change != null && change.getProperties() != null) {
            change.getProperties().put("previous", nullable(ref("PreviousEntry").description("The entry before the"
                    + " change, or null when the key had none (a put that created it)")));
        }
        // A value is typed by the member type; as JSON it is one of these (an integer is a number too: anyOf).
        for (String name : List.of("WatchChange", "PreviousEntry")) {
            Schema schema = schemas.get(name);
            if (schema != null && schema.getProperties() != null && schema.getProperties().get("value") != null) {
                Schema<Object> value = new Schema<>();
                value.setAnyOf(new ArrayList<>(List.of(of("string"), of("integer", "int64"), of("number", "double"))));
                value.setDescription(((Schema) schema.getProperties().get("value")).getDescription());
                schema.getProperties().put("value", value);
            }
        }
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private static void makeNullable(Schema schema, String... members) {
        if (schema == null || schema.getProperties() == null) {
            return;
        }
        Map<String, Schema> properties = schema.getProperties();
        for (String m : members) {
            if (properties.containsKey(m)) {
                properties.put(m, nullable(properties.get(m)));
            }
        }
    }

    static Object parse(String json) {
        return JSON.readValue(json, Object.class);
    }
}
