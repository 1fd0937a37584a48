package dev.kvstore.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kvstore.store.Value;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/**
 * String values are decoded from the body by {@link JsonStringContent}, with the parser only checking them: the
 * text must be exactly what Jackson's own decoding gives, for every escape and every UTF-8 length, and malformed
 * UTF-8 is refused.
 */
class JsonStringContentTest {

    private static final String[] PIECES = {"a", "Z", " ", "é", "ß", "€", "✓", "\uE000", "\uFFFF", "😀",
            "\uD800\uDC00", "\uDBFF\uDFFF", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0001", "\\u00e9",
            "\\u20AC", "\\uD83D\\uDE00", "\\ud800", "\\uDC00", "\u007F", "\u0080", "\u07FF", "\u0800"};

    @Test
    void decodesExactlyAsJacksonDoes() {
        long seed = Long.getLong("kv.test.seed", System.nanoTime());
        System.out.printf("JsonStringContentTest: seed %d (-Dkv.test.seed=%d)%n", seed, seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < 2000; i++) {
            StringBuilder json = new StringBuilder();
            int pieces = rnd.nextInt(12);
            for (int k = 0; k < pieces; k++) {
                json.append(PIECES[rnd.nextInt(PIECES.length)]);
            }
            String frame = rnd.nextBoolean() ? "{\"type\":\"string\",\"value\":\"%s\"}"
                    : "\r\n{ \"value\" :\t \"%s\" ,\n \"type\" : \"string\" }  ";
            byte[] body = String.format(frame, json).getBytes(StandardCharsets.UTF_8);
            assertThat(parsed(body)).as("seed %d, %s", seed, json).isEqualTo(jackson(body));
        }
    }

    @Test
    void plainAsciiIsOneCopyOfTheBody() {
        byte[] body = "{\"type\":\"string\",\"value\":\"plain text\"}".getBytes(StandardCharsets.US_ASCII);
        assertThat(parsed(body)).isEqualTo("plain text");
    }

    @Test
    void malformedUtf8IsRefusedNotReplaced() {
        int[][] bad = {{0xC0, 0x80}, {0xC1, 0xBF}, {0xE0, 0x80, 0x80}, {0xED, 0xA0, 0x80}, {0xF0, 0x80, 0x80, 0x80},
                {0xF4, 0x90, 0x80, 0x80}, {0xF5, 0x80, 0x80, 0x80}, {0x80}, {0xE2, 0x82}};
        for (int[] sequence : bad) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes("{\"type\":\"string\",\"value\":\"x".getBytes(StandardCharsets.US_ASCII));
            for (int b : sequence) {
                out.write(b);
            }
            out.writeBytes("\"}".getBytes(StandardCharsets.US_ASCII));
            byte[] body = out.toByteArray();
            assertThatThrownBy(() -> ValueJson.parse(body, body.length, "k")).as(java.util.Arrays.toString(sequence))
                    .isInstanceOfSatisfying(ApiProblem.class,
                            p -> assertThat(p.type()).isEqualTo(dev.kvstore.problem.ProblemType.MALFORMED_JSON));
        }
    }

    private static String parsed(byte[] body) {
        return ((Value.Text) ValueJson.parse(body, body.length, "k")).value();
    }

    private static String jackson(byte[] body) {
        try (JsonParser p = ValueJson.parser(body, body.length)) {
            while (p.nextToken() != null) {
                if (p.currentToken() == JsonToken.VALUE_STRING && "value".equals(p.currentName())) {
                    return p.getString();
                }
            }
        }
        throw new AssertionError("no value");
    }
}
