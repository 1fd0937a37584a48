package dev.kvstore.api;

import static dev.kvstore.api.OpenApiSchemas.constant;
import static dev.kvstore.api.OpenApiSchemas.discriminated;
import static dev.kvstore.api.OpenApiSchemas.object;
import static dev.kvstore.api.OpenApiSchemas.of;
import static dev.kvstore.api.OpenApiSchemas.ref;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.examples.Example;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.HeaderParameter;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.parameters.PathParameter;
import io.swagger.v3.oas.models.parameters.QueryParameter;
import io.swagger.v3.oas.models.parameters.RequestBody;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The OpenAPI description of {@code /keys/{key}} ({@link KeyEndpoint}), built in code since that route is not a
 * Spring MVC handler, and the schemas of typed values and entries. Its refusals (4xx, 5xx) are added with the other
 * operations' from the problem catalogue ({@link OpenApiConfiguration}).
 */
final class KeyApiDoc {

    static final String KEY_DESCRIPTION = "The key: the rest of the path, percent-decoded once as UTF-8, 1 to 1024"
            + " bytes by default. It may contain `/` (`/keys/a/b/c` is the key `a/b/c`), sent as is or as `%2F`.";
    private static final String ENTITY_TAG = "The key's revision in quotes, a strong entity tag";
    private static final String IF_MATCH = "Only if the key has a value whose entity tag is in this list (strong"
            + " comparison; an entity tag is the revision in quotes: `\"42\"`), or any value for `*`; otherwise 412,"
            + " with the key's currentRevision. Not `*` or a list of entity tags: 400.";
    private static final String IF_NONE_MATCH_WRITE = "`*`: only if the key has no value (create only). A list of"
            + " entity tags: only if the key's entity tag is none of them (weak comparison). Otherwise 412, with the"
            + " key's currentRevision.";
    private static final String IF_NONE_MATCH_READ = "When the key's entity tag is in this list (weak comparison:"
            + " `W/\"42\"` matches `\"42\"`), or for `*` when it has a value: 304 Not Modified, with the ETag and no"
            + " body.";

    /** A lease id as POST /leases answers it: the decimal revision of its grant. */
    static final String LEASE_PATTERN = "^[1-9][0-9]{0,18}$";
    static final String IDEMPOTENCY_KEY = "Makes the write safe to repeat (draft-ietf-httpapi-idempotency-key-header):"
            + " 1 to 255 visible ASCII characters, bare or as a quoted string. The first request with a key is applied"
            + " and its answer remembered, in the same log frame as the write; a repeat by the same token with the"
            + " same request (method, path and query, If-Match, If-None-Match, body) gets the same status and body"
            + " with `Idempotent-Replayed: true`, and writes nothing. The same key with another request: 422"
            + " idempotency-key-reused. A repeat while the first is still being processed: 409"
            + " idempotency-key-in-flight. Keys belong to the token that sent them and are remembered at least"
            + " kv.idempotency.retention (24 h by default), within kv.idempotency.max-keys and max-size.";
    static final String IDEMPOTENT_REPLAYED = "`true` when this is the remembered answer to an earlier request with"
            + " the same Idempotency-Key; nothing was written now";
    private static final String LEASE_PARAMETER = "Attaches the key to this lease (an id from POST /leases): the key"
            + " is deleted when the lease expires or is revoked. A lease that does not exist: 409 unknown-lease.";
    private static final String TTL_PARAMETER = "Grants a new lease of this time to live for this key alone, in the"
            + " same revision as the write (the entry's `lease` is its id): whole seconds, or with a unit, `30s`,"
            + " `5m`, `2h` (1 s to 365 days). Not with `lease`.";

    private KeyApiDoc() {
    }

    /** Entry, TypedValue, IncrementRequest and their variants. */
    @SuppressWarnings("rawtypes")
    static void addSchemas(Components components) {
        Map<String, String> kinds = Map.of("string", "String", "integer", "Integer", "float", "Float");
        Map<String, String> entries = new LinkedHashMap<>();
        Map<String, String> values = new LinkedHashMap<>();
        for (String type : new String[] {"string", "integer", "float"}) {
            String kind = kinds.get(type);
            Map<String, Schema> entry = new LinkedHashMap<>();
            entry.put("key", of("string").description("The key, as given in the path (percent-decoded)"));
            entry.put("type", constant(type, "The value's type"));
            entry.put("value", valueSchema(type).description("The value; left out of a listing with keysOnly=true"));
            entry.put("revision", of("integer", "int64").description("Revision of the key's last change; its ETag"
                    + " is this number in quotes"));
            entry.put("createRevision", of("integer", "int64").description("Revision of the write that created the"
                    + " key"));
            entry.put("lease", of("string").pattern(LEASE_PATTERN).description("The id of the lease the key is"
                    + " attached to: the key is deleted when the lease expires or is revoked. Absent when it has"
                    + " none"));
            components.addSchemas(kind + "Entry", object("A key holding a " + type, entry, "key", "type", "revision",
                    "createRevision"));
            entries.put(type, kind + "Entry");

            Map<String, Schema> value = new LinkedHashMap<>();
            value.put("type", constant(type, "The value's type"));
            value.put("value", valueSchema(type));
            value.put("key", of("string").description("Optional; when present, it must equal the key in the path (so"
                    + " that a GET answer can be sent back as it is)"));
            value.put("revision", of("integer", "int64").description("Ignored: what a GET answers"));
            value.put("createRevision", of("integer", "int64").description("Ignored: what a GET answers"));
            components.addSchemas(kind + "Value", object("A " + type + " value", value, "type", "value"));
            values.put(type, kind + "Value");
        }
        components.addSchemas("Entry", discriminated("A key with its typed value and revisions", "type", entries));
        components.addSchemas("TypedValue", discriminated("A value and its type; the JSON value must match the type",
                "type", values));
        Map<String, Schema> increment = new LinkedHashMap<>();
        increment.put("increment", of("number").description("The step: a JSON integer (signed 64-bit) is an integer"
                + " step, any other finite number a float step. A missing key is created with the step as its value,"
                + " typed by the JSON token (5: integer, 5.0: float)"));
        components.addSchemas("IncrementRequest", object("Adds a number to a key's integer or float value",
                increment, "increment"));
    }

    private static Schema<Object> valueSchema(String type) {
        return switch (type) {
            case "string" -> of("string");
            case "integer" -> of("integer", "int64").description("A JSON integer in the signed 64-bit range");
            default -> of("number", "double").description("A finite JSON number; 3 is taken as 3.0");
        };
    }

    static PathItem pathItem() {
        PathItem item = new PathItem();
        item.setGet(operation("getKey", "Read a key", "Returns the key's typed value and revisions, with its"
                + " revision as a strong ETag. Floats round-trip exactly. With If-None-Match, answers 304 when the"
                + " client's copy is current.", IF_NONE_MATCH_READ)
                .responses(new ApiResponses()
                        .addApiResponse("200", entry("The entry", examples()))
                        .addApiResponse("304", new ApiResponse().description("Not Modified: If-None-Match matches the"
                                + " key's entity tag; no body").addHeaderObject("ETag", etag()))));
        item.setPut(operation("putKey", "Store a typed value under a key", "Creates the key (201, with Location) or"
                + " replaces its value (200), and answers the entry with its new revision and ETag. If-Match makes it"
                + " a compare-and-set, `If-None-Match: *` a create-only. Under the default durability mode the answer"
                + " comes only after the write is forced to stable storage. `lease` attaches the key to a lease,"
                + " `ttl` grants it a lease of its own; without either, the key has no lease (a PUT detaches it).",
                IF_NONE_MATCH_WRITE)
                .addParametersItem(query("lease", LEASE_PARAMETER, of("string").pattern(LEASE_PATTERN), "40"))
                .addParametersItem(query("ttl", TTL_PARAMETER, of("string").pattern("^[1-9][0-9]{0,8}[smh]?$"),
                        "30s"))
                .addParametersItem(idempotencyKey())
                .requestBody(body("TypedValue", Map.of("string", "{\"type\":\"string\",\"value\":\"hi\"}",
                        "integer", "{\"type\":\"integer\",\"value\":42}", "float",
                        "{\"type\":\"float\",\"value\":3.5}")))
                .responses(new ApiResponses()
                        .addApiResponse("200", written("Replaced; the stored entry", examples()))
                        .addApiResponse("201", written("Created; the stored entry, and its URL in Location",
                                examples()).addHeaderObject("Location", location()))));
        item.setPatch(operation("incrementKey", "Increment a number atomically", "Adds `increment` to the key's"
                + " integer or float value in one step, as the writer applies writes one at a time: concurrent"
                + " increments never lose one. An integer takes an integer step (409 type-mismatch for a fraction,"
                + " 409 overflow outside the 64-bit range); a float takes any finite step; a string is 409"
                + " not-a-number. A missing key is created with the step as its value (201). The key keeps its lease"
                + " unless `lease` names another. With an Idempotency-Key, a retry never adds twice.",
                IF_NONE_MATCH_WRITE)
                .addParametersItem(query("lease", LEASE_PARAMETER + " Without it, the key keeps its lease.",
                        of("string").pattern(LEASE_PATTERN), "40"))
                .addParametersItem(idempotencyKey())
                .requestBody(body("IncrementRequest", Map.of("integer", "{\"increment\":1}", "float",
                        "{\"increment\":-0.5}")))
                .responses(new ApiResponses()
                        .addApiResponse("200", written("Incremented; the entry with its new value and revision",
                                Map.of("integer", "{\"key\":\"visits\",\"type\":\"integer\",\"value\":8,"
                                        + "\"revision\":43,\"createRevision\":9}")))
                        .addApiResponse("201", written("Created with the step as its value; the entry, and its URL in"
                                + " Location", Map.of("integer", "{\"key\":\"visits\",\"type\":\"integer\",\"value\":1,"
                                + "\"revision\":9,\"createRevision\":9}")).addHeaderObject("Location", location()))));
        item.setDelete(operation("deleteKey", "Delete a key", "Deletes the key's value and answers 204. A key with no"
                + " value is 404 and nothing is written. It takes no query parameter.", null)
                .addParametersItem(idempotencyKey())
                .responses(new ApiResponses().addApiResponse("204", new ApiResponse().description("Deleted")
                        .addHeaderObject("Idempotent-Replayed", replayed()))));
        return item;
    }

    private static Operation operation(String id, String summary, String description, String ifNoneMatch) {
        Operation op = new Operation().operationId(id).summary(summary).description(description).addTagsItem("keys");
        op.addParametersItem(new PathParameter().name("key").description(KEY_DESCRIPTION).schema(of("string"))
                .example("greeting"));
        op.addParametersItem(header("If-Match", IF_MATCH));
        if (ifNoneMatch != null) {
            op.addParametersItem(header("If-None-Match", ifNoneMatch));
        }
        return op;
    }

    private static Parameter query(String name, String description, Schema<Object> schema, String example) {
        return new QueryParameter().name(name).description(description).schema(schema).example(example);
    }

    static Parameter idempotencyKey() {
        return header("Idempotency-Key", IDEMPOTENCY_KEY).example("\"8e03978e-40d5-43e8-bc93-6894a57f9324\"");
    }

    static Header replayed() {
        Schema<Object> s = of("string");
        s.setEnum(new java.util.ArrayList<>(java.util.List.of("true")));
        return new Header().description(IDEMPOTENT_REPLAYED).schema(s);
    }

    private static Parameter header(String name, String description) {
        return new HeaderParameter().name(name).description(description).schema(of("string"));
    }

    private static RequestBody body(String schema, Map<String, String> examples) {
        MediaType json = new MediaType().schema(ref(schema));
        examples.forEach((name, value) -> json.addExamples(name, example(value)));
        return new RequestBody().required(true).content(new Content().addMediaType(KeyEndpoint.JSON, json));
    }

    /** A write's answer, which an Idempotency-Key may replay. */
    private static ApiResponse written(String description, Map<String, String> examples) {
        return entry(description, examples).addHeaderObject("Idempotent-Replayed", replayed());
    }

    private static ApiResponse entry(String description, Map<String, String> examples) {
        MediaType json = new MediaType().schema(ref("Entry"));
        examples.forEach((name, value) -> json.addExamples(name, example(value)));
        return new ApiResponse().description(description).addHeaderObject("ETag", etag())
                .content(new Content().addMediaType(KeyEndpoint.JSON, json));
    }

    private static Map<String, String> examples() {
        Map<String, String> examples = new LinkedHashMap<>();
        examples.put("string", "{\"key\":\"greeting\",\"type\":\"string\",\"value\":\"hi\",\"revision\":42,"
                + "\"createRevision\":17}");
        examples.put("integer", "{\"key\":\"answer\",\"type\":\"integer\",\"value\":42,\"revision\":7,"
                + "\"createRevision\":7}");
        examples.put("float", "{\"key\":\"pi\",\"type\":\"float\",\"value\":3.5,\"revision\":9,"
                + "\"createRevision\":8}");
        examples.put("with-a-lease", "{\"key\":\"session\",\"type\":\"string\",\"value\":\"n1\",\"revision\":41,"
                + "\"createRevision\":41,\"lease\":\"40\"}");
        return examples;
    }

    private static Example example(String json) {
        return new Example().value(OpenApiConfiguration.parse(json));
    }

    private static Header etag() {
        return new Header().description(ENTITY_TAG).schema(of("string").example("\"42\""));
    }

    private static Header location() {
        return new Header().description("The URL of the key").schema(of("string", "uri-reference"));
    }
}
