package dev.kvstore.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The seed-format golden logs (copied from the shared fixtures into test resources) and their expectations. */
final class GoldenLogs {

    private static final String DIR = "/seed-format/";
    private static final JsonNode EXPECTED;

    static {
        try (InputStream in = GoldenLogs.class.getResourceAsStream(DIR + "expected.json")) {
            EXPECTED = JsonMapper.builder().build().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private GoldenLogs() {
    }

    static Iterable<String> names() {
        return EXPECTED.propertyNames();
    }

    static JsonNode expected(String name) {
        return EXPECTED.get(name);
    }

    static byte[] bytes(String name) {
        try (InputStream in = GoldenLogs.class.getResourceAsStream(DIR + name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Places the golden log {@code name} as the log of the data directory {@code dir}. */
    static Path install(String name, Path dir) throws IOException {
        Files.createDirectories(dir);
        return Files.write(dir.resolve(StoreOptions.LOG_FILE_NAME), bytes(name));
    }

    /** The expected live state of a golden log, as typed values. */
    static Map<String, Value> state(String name) {
        Map<String, Value> state = new LinkedHashMap<>();
        expected(name).get("state").properties().forEach(e -> state.put(e.getKey(), value(e.getValue())));
        return state;
    }

    static Value value(JsonNode typed) {
        JsonNode v = typed.get("value");
        return switch (typed.get("type").asString()) {
            case "string" -> Value.of(v.asString());
            case "integer" -> Value.of(v.longValue());
            case "float" -> Value.of(v.doubleValue());
            default -> throw new IllegalArgumentException(typed.toString());
        };
    }
}
