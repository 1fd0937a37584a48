package dev.kvstore.api;

import io.swagger.v3.oas.models.media.Discriminator;
import io.swagger.v3.oas.models.media.Schema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Schema objects of the OpenAPI 3.1 document (JSON Schema 2020-12: a member that may be {@code null} has the type
 * {@code null} among its types), built in code where annotations cannot say it: a typed value discriminated by its
 * {@code type}, the problem with its extension members.
 */
final class OpenApiSchemas {

    static final String REF = "#/components/schemas/";

    private OpenApiSchemas() {
    }

    static Schema<Object> of(String type) {
        Schema<Object> s = new Schema<>();
        s.setTypes(new LinkedHashSet<>(Set.of(type)));
        return s;
    }

    static Schema<Object> of(String type, String format) {
        return of(type).format(format);
    }

    static Schema<Object> ref(String name) {
        return new Schema<>().$ref(REF + name);
    }

    /** {@code schema}, or {@code null}. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    static Schema nullable(Schema schema) {
        if (schema.get$ref() != null) {
            Schema any = new Schema<>();
            any.setAnyOf(new ArrayList<>(List.of(schema, of("null"))));
            any.setDescription(schema.getDescription());
            return any;
        }
        Set<String> types = schema.getTypes() == null ? new LinkedHashSet<>() : new LinkedHashSet<>(schema.getTypes());
        if (types.isEmpty() && schema.getType() != null) {
            types.add(schema.getType());
        }
        types.add("null");
        schema.setTypes(types);
        schema.setType(null);
        schema.setNullable(null);
        return schema;
    }

    /** An object with these properties (in order), the {@code required} ones required. */
    @SuppressWarnings("rawtypes")
    static Schema<Object> object(String description, Map<String, Schema> properties, String... required) {
        Schema<Object> s = of("object").description(description);
        s.setProperties(new LinkedHashMap<>(properties));
        s.setRequired(new ArrayList<>(List.of(required)));
        return s;
    }

    static Schema<Object> constant(String value, String description) {
        Schema<Object> s = of("string").description(description);
        s.setEnum(new ArrayList<>(List.of(value)));
        return s;
    }

    /** One of {@code variants} (names of component schemas), chosen by the string member {@code property}. */
    static Schema<Object> discriminated(String description, String property, Map<String, String> variants) {
        Schema<Object> s = new Schema<>().description(description);
        Discriminator d = new Discriminator().propertyName(property);
        List<Schema> oneOf = new ArrayList<>();
        variants.forEach((value, name) -> {
            oneOf.add(ref(name));
            d.mapping(value, REF + name);
        });
        s.setOneOf(oneOf);
        s.setDiscriminator(d);
        return s;
    }
}
