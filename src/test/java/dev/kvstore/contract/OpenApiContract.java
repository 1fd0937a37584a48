package dev.kvstore.contract;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * An OpenAPI 3.1 document as a contract that one HTTP exchange keeps or breaks: the operation is found by method and
 * path template, the request's query parameters and body are checked against their schemas, the response's status
 * must be declared, its media type too, and its body must validate against the declared schema (JSON Schema 2020-12,
 * with the OpenAPI 3.1 dialect of networknt's validator). A template's last parameter may span several segments, as
 * {@code /keys/{key}} does ({@code /keys/a/b} is the key {@code a/b}).
 */
final class OpenApiContract {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String BASE = "https://kv-store.test/openapi.json";

    private final JsonNode doc;
    private final SchemaRegistry registry;
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

    OpenApiContract(String document) {
        this.doc = JSON.readTree(document);
        this.registry = SchemaRegistry.withDefaultDialect(Dialects.getOpenApi31(),
                builder -> builder.schemas(Map.of(BASE, document)));
    }

    /** A documented operation: its JSON pointer in the document, and its node. */
    record Operation(String pointer, JsonNode node, Map<String, String> pathParameters) {
    }

    /** The operation {@code method} on {@code path} (raw, without query), or {@code null} when undocumented. */
    Operation operation(String method, String path) {
        JsonNode paths = doc.get("paths");
        for (Iterator<Map.Entry<String, JsonNode>> it = paths.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            Map<String, String> parameters = match(entry.getKey(), path);
            JsonNode op = entry.getValue().get(method.toLowerCase(Locale.ROOT));
            if (parameters != null && op != null) {
                return new Operation("/paths/" + escape(entry.getKey()) + "/" + method.toLowerCase(Locale.ROOT), op,
                        parameters);
            }
        }
        return null;
    }

    /** Whether the document has the path at all (with any method). */
    boolean documents(String path) {
        for (Iterator<String> it = doc.get("paths").propertyNames().iterator(); it.hasNext(); ) {
            if (match(it.next(), path) != null) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, String> match(String template, String path) {
        String[] t = template.split("/", -1);
        String[] p = path.split("/", -1);
        Map<String, String> parameters = new LinkedHashMap<>();
        for (int i = 0; i < t.length; i++) {
            if (i >= p.length) {
                return null;
            }
            boolean parameter = t[i].startsWith("{") && t[i].endsWith("}");
            if (parameter && i == t.length - 1) {
                parameters.put(t[i].substring(1, t[i].length() - 1), String.join("/",
                        java.util.Arrays.copyOfRange(p, i, p.length)));
                return parameters;
            }
            if (parameter) {
                parameters.put(t[i].substring(1, t[i].length() - 1), p[i]);
            } else if (!t[i].equals(p[i])) {
                return null;
            }
        }
        return t.length == p.length ? parameters : null;
    }

    /** Why the request is outside the contract; empty when it is inside. */
    List<String> requestViolations(Operation op, String rawQuery, String contentType, byte[] body) {
        List<String> violations = new ArrayList<>();
        Map<String, String> query = query(rawQuery, violations);
        JsonNode parameters = op.node().get("parameters");
        if (parameters != null) {
            for (int i = 0; i < parameters.size(); i++) {
                JsonNode parameter = parameters.get(i);
                if (!parameter.path("in").asString().equals("query")) {
                    continue;
                }
                String name = parameter.get("name").asString();
                String value = query.get(name);
                if (value == null) {
                    if (parameter.path("required").asBoolean(false)) {
                        violations.add("query parameter " + name + " is required");
                    }
                    continue;
                }
                String pointer = op.pointer() + "/parameters/" + i + "/schema";
                for (Error e : schema(pointer).validate(scalar(value, parameter.get("schema")))) {
                    violations.add("query parameter " + name + "=" + value + ": " + e.getMessage());
                }
            }
        }
        JsonNode requestBody = op.node().get("requestBody");
        boolean hasBody = body != null && body.length > 0;
        if (requestBody == null) {
            if (hasBody) {
                violations.add("the operation takes no body");
            }
            return violations;
        }
        if (!hasBody) {
            if (requestBody.path("required").asBoolean(false)) {
                violations.add("the body is required");
            }
            return violations;
        }
        String type = bare(contentType);
        if (type == null || !requestBody.path("content").has(type)) {
            violations.add("Content-Type " + contentType + " is not one the operation takes");
            return violations;
        }
        violations.addAll(validate(op.pointer() + "/requestBody/content/" + escape(type) + "/schema", body, "body"));
        return violations;
    }

    /** Why the response breaks the contract; empty when it keeps it. */
    List<String> responseViolations(Operation op, int status, String contentType, byte[] body) {
        List<String> violations = new ArrayList<>();
        JsonNode responses = op.node().path("responses");
        String code = Integer.toString(status);
        if (!responses.has(code)) {
            code = responses.has(status / 100 + "XX") ? status / 100 + "XX" : "default";
        }
        if (!responses.has(code)) {
            violations.add("status " + status + " is not documented");
            return violations;
        }
        JsonNode content = responses.get(code).get("content");
        boolean hasBody = body != null && body.length > 0;
        if (content == null || content.isEmpty()) {
            if (hasBody) {
                violations.add("status " + status + " is documented without a body, but one came");
            }
            return violations;
        }
        String type = bare(contentType);
        if (type == null || !content.has(type)) {
            violations.add("Content-Type " + contentType + " is not documented for status " + status);
            return violations;
        }
        if (type.contains("json")) {
            violations.addAll(validate(op.pointer() + "/responses/" + code + "/content/" + escape(type) + "/schema",
                    body, "body"));
        }
        return violations;
    }

    private List<String> validate(String pointer, byte[] body, String what) {
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (RuntimeException e) {
            return List.of(what + " is not JSON: " + e.getMessage());
        }
        List<String> violations = new ArrayList<>();
        for (Error e : schema(pointer).validate(node)) {
            violations.add(what + " " + e.getInstanceLocation() + ": " + e.getMessage());
        }
        return violations;
    }

    private Schema schema(String pointer) {
        return schemas.computeIfAbsent(pointer, p -> registry.getSchema(SchemaLocation.of(BASE + "#" + encode(p))));
    }

    /** A query value as its schema's type reads it: a number or boolean where the schema wants one. */
    private static JsonNode scalar(String value, JsonNode schema) {
        String type = schema == null ? "string" : schema.path("type").isArray()
                ? schema.path("type").get(0).asString() : schema.path("type").asString("string");
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        try {
            switch (type) {
                case "integer":
                    return nodes.numberNode(new java.math.BigInteger(value));
                case "number":
                    return nodes.numberNode(new java.math.BigDecimal(value));
                case "boolean":
                    return value.equals("true") || value.equals("false") ? nodes.booleanNode(value.equals("true"))
                            : nodes.stringNode(value);
                default:
                    return nodes.stringNode(value);
            }
        } catch (NumberFormatException e) {
            return nodes.stringNode(value);
        }
    }

    private static Map<String, String> query(String raw, List<String> violations) {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                if (query.put(name, value) != null) {
                    violations.add("query parameter " + name + " is repeated");
                }
            } catch (IllegalArgumentException e) {
                violations.add("query " + pair + " is not percent-encoded: " + e.getMessage());
            }
        }
        return query;
    }

    private static String bare(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return null;
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    /** One JSON pointer token. */
    private static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    /** A JSON pointer as a URI fragment. */
    private static String encode(String pointer) {
        StringBuilder sb = new StringBuilder();
        for (byte b : pointer.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if (Character.isLetterOrDigit(c) && c < 0x80 || "/-._~".indexOf(c) >= 0) {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format("%02X", c));
            }
        }
        return sb.toString();
    }
}
