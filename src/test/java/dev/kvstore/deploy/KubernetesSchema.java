package dev.kvstore.deploy;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1NetworkPolicy;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Kubernetes objects read from YAML and checked against the Kubernetes API's OpenAPI schemas, as Kubernetes' own
 * Java client encodes them ({@code io.kubernetes:client-java-api}, generated from those schemas): a field the schema
 * does not define, a required field that is missing, or a value of the wrong type is refused, with the path of the
 * object in the message. Only the kinds the deployment uses are known; any other kind is refused too, so that a new
 * manifest cannot pass unchecked.
 */
final class KubernetesSchema {

    /** One object of a manifest file: where it came from, and the typed model it was read into. */
    record Manifest(Path file, int document, String kind, Object model) {

        <T> T as(Class<T> type) {
            return type.cast(model);
        }

        @Override
        public String toString() {
            return file.getFileName() + "#" + document + " (" + kind + ")";
        }
    }

    @FunctionalInterface
    private interface Validator {
        void validate(JsonElement json) throws IOException;
    }

    private record Schema(Class<?> model, Validator validator) {
    }

    private static final Map<String, Schema> SCHEMAS = Map.of(
            "apps/v1 StatefulSet", new Schema(V1StatefulSet.class, V1StatefulSet::validateJsonElement),
            "v1 Service", new Schema(V1Service.class, V1Service::validateJsonElement),
            "policy/v1 PodDisruptionBudget",
            new Schema(V1PodDisruptionBudget.class, V1PodDisruptionBudget::validateJsonElement),
            "networking.k8s.io/v1 NetworkPolicy",
            new Schema(V1NetworkPolicy.class, V1NetworkPolicy::validateJsonElement));

    private static final Gson PLAIN = new Gson();

    private KubernetesSchema() {
    }

    /** Every object in a (multi-document) YAML file, each validated. */
    static List<Manifest> read(Path file) throws IOException {
        List<Manifest> manifests = new ArrayList<>();
        try (Reader in = Files.newBufferedReader(file)) {
            int document = 0;
            for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(in)) {
                document++;
                if (doc == null) {
                    continue;
                }
                if (!(doc instanceof Map<?, ?> object)) {
                    throw new IllegalArgumentException(file + "#" + document + " is not an object");
                }
                manifests.add(new Manifest(file, document, kindOf(object), validate(object)));
            }
        }
        return manifests;
    }

    /** The typed model of one object, after the schema check; {@link IllegalArgumentException} when it fails. */
    static Object validate(Map<?, ?> object) {
        String kind = kindOf(object);
        Schema schema = SCHEMAS.get(kind);
        if (schema == null) {
            throw new IllegalArgumentException("no schema for " + kind + ": add it to KubernetesSchema");
        }
        JsonElement json = PLAIN.toJsonTree(object);
        try {
            schema.validator().validate(json);
            // Types the structural check leaves to the reader (numbers, quantities) fail here.
            return JSON.getGson().fromJson(json, schema.model());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(kind + " " + nameOf(object) + ": " + e.getMessage(), e);
        }
    }

    private static String kindOf(Map<?, ?> object) {
        return object.get("apiVersion") + " " + object.get("kind");
    }

    private static Object nameOf(Map<?, ?> object) {
        return object.get("metadata") instanceof Map<?, ?> m ? m.get("name") : null;
    }
}
