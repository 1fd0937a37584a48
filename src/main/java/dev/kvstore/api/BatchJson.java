package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import dev.kvstore.store.BatchOperation;
import dev.kvstore.store.KeyLease;
import dev.kvstore.store.Precondition;
import dev.kvstore.store.Value;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/**
 * Reads a {@code POST /batch} body strictly:
 * {@code {"operations": [{"op": "set", "key": ..., "type": ..., "value": ..., "ifRevision": n | "ifAbsent": true,
 * "lease": id},
 * {"op": "delete", "key": ..., "ifRevision": n}]}}. Anything else is refused with the operation and the reason.
 */
final class BatchJson {

    private BatchJson() {
    }

    static List<BatchOperation> parse(byte[] body, int length) {
        if (length == 0) {
            throw invalid("The body is empty; send {\"operations\": [...]}.");
        }
        List<BatchOperation> ops = null;
        try (JsonParser p = ValueJson.parser(body, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw invalid("The body must be a JSON object: {\"operations\": [...]}.");
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (!name.equals("operations")) {
                    throw invalid(String.format("Unknown member \"%s\": the body takes only \"operations\".", name));
                }
                if (ops != null) {
                    throw invalid("\"operations\" appears twice.");
                }
                if (v != JsonToken.START_ARRAY) {
                    throw invalid("\"operations\" must be an array of operations.");
                }
                ops = new ArrayList<>();
                for (JsonToken o = p.nextToken(); o != JsonToken.END_ARRAY; o = p.nextToken()) {
                    ops.add(operation(p, o, ops.size(), body));
                }
            }
            if (p.nextToken() != null) {
                throw ValueJson.malformed("Unexpected content after the JSON object.");
            }
        } catch (JacksonException e) {
            throw ValueJson.malformed(ValueJson.describe(e));
        }
        if (ops == null) {
            throw invalid("\"operations\" is missing.");
        }
        return ops;
    }

    private static BatchOperation operation(JsonParser p, JsonToken start, int index, byte[] body) {
        if (start != JsonToken.START_OBJECT) {
            throw invalid(index, "must be an object such as {\"op\": \"set\", \"key\": ..., \"type\": ..., \"value\": ...}");
        }
        String op = null;
        String key = null;
        String type = null;
        ValueJson.Token value = null;
        Long ifRevision = null;
        Boolean ifAbsent = null;
        String lease = null;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            try {
                switch (name) {
                    case "op" -> op = string(p, v, op, "op");
                    case "key" -> key = string(p, v, key, "key");
                    case "type" -> type = ValueJson.typeName(p, v, type);
                    case "value" -> value = ValueJson.valueToken(p, v, value, body);
                    case "ifRevision" -> ifRevision = revision(p, v, ifRevision);
                    case "ifAbsent" -> ifAbsent = bool(v, ifAbsent);
                    case "lease" -> lease = string(p, v, lease, "lease");
                    default -> throw invalid(String.format("Unknown member \"%s\": an operation takes op, key, type,"
                            + " value, ifRevision, ifAbsent and lease.", name));
                }
            } catch (ApiProblem e) {
                throw e.type() == ProblemType.MALFORMED_JSON ? e : invalid(index, e.getMessage());
            }
        }
        return build(index, op, key, type, value, ifRevision, ifAbsent, lease);
    }

    private static BatchOperation build(int index, String op, String key, String type, ValueJson.Token value,
                                        Long ifRevision, Boolean ifAbsent, String lease) {
        if (op == null || key == null) {
            throw invalid(index, "needs \"op\" (\"set\" or \"delete\") and \"key\"");
        }
        if (ifRevision != null && Boolean.TRUE.equals(ifAbsent)) {
            throw invalid(index, "cannot have both ifRevision and ifAbsent: a key with a revision is not absent");
        }
        Precondition condition = ifRevision != null ? Precondition.ifRevision(ifRevision)
                : Boolean.TRUE.equals(ifAbsent) ? Precondition.ifAbsent() : Precondition.NONE;
        switch (op) {
            case "set":
                long leaseId = lease == null ? 0 : LeaseIds.parse(lease);
                if (leaseId < 0) {
                    throw invalid(index, "has \"lease\": \"" + lease + "\", which is not a lease id as POST /leases"
                            + " answers it");
                }
                try {
                    return BatchOperation.set(key, ValueJson.toValue(type, value), condition,
                            leaseId == 0 ? KeyLease.NONE : KeyLease.of(leaseId));
                } catch (ApiProblem e) {
                    throw e.type() == ProblemType.MALFORMED_JSON ? e : invalid(index, e.getMessage());
                }
            case "delete":
                if (type != null || value != null || lease != null) {
                    throw invalid(index, "is a delete, which takes no \"type\", \"value\" or \"lease\"");
                }
                return BatchOperation.delete(key, condition);
            default:
                throw invalid(index, "has op \"" + op + "\"; it must be \"set\" or \"delete\"");
        }
    }

    private static String string(JsonParser p, JsonToken v, String previous, String member) {
        ValueJson.duplicate(member, previous);
        if (v != JsonToken.VALUE_STRING) {
            throw invalid("\"" + member + "\" must be a string.");
        }
        return p.getString();
    }

    private static Long revision(JsonParser p, JsonToken v, Long previous) {
        ValueJson.duplicate("ifRevision", previous);
        if (v != JsonToken.VALUE_NUMBER_INT) {
            throw invalid("\"ifRevision\" must be a positive integer, a revision as GET answers it.");
        }
        long r = ValueJson.parseLong(p.getString());
        if (r < 1) {
            throw invalid("\"ifRevision\" must be a positive integer, a revision as GET answers it.");
        }
        return r;
    }

    private static Boolean bool(JsonToken v, Boolean previous) {
        ValueJson.duplicate("ifAbsent", previous);
        if (v != JsonToken.VALUE_TRUE && v != JsonToken.VALUE_FALSE) {
            throw invalid("\"ifAbsent\" must be true or false.");
        }
        return v == JsonToken.VALUE_TRUE;
    }

    private static ApiProblem invalid(int index, String what) {
        String w = what.endsWith(".") ? what.substring(0, what.length() - 1) : what;
        // "needs ...", "is ...": a phrase about the operation; anything else is a sentence of its own.
        return invalid(String.format(Character.isLowerCase(w.charAt(0)) ? "Operation %d %s." : "Operation %d: %s.",
                index, w));
    }

    private static ApiProblem invalid(String detail) {
        return new ApiProblem(ProblemType.INVALID_BATCH, detail);
    }
}
