package dev.kvstore.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.store.Entry;
import dev.kvstore.store.Value;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The key endpoint writes entries by hand; the listing writes them with Jackson ({@link EntryView}). Both must give
 * the same bytes for every key and value: random ones (the seed is printed; replay with -Dkv.test.seed), and the
 * corners of escaping and number formatting.
 */
class EntryJsonTest {

    private static final JsonMapper JACKSON = JsonMapper.builder().build();

    private static void sameAsJackson(String key, Entry entry) throws Exception {
        byte[] expected = JACKSON.writeValueAsBytes(EntryView.of(key, entry));
        byte[] small = EntryJson.small(key, entry);
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        EntryJson.stream(streamed, key, entry);
        String what = key + " = " + entry;
        assertThat(streamed.toByteArray()).as(what).isEqualTo(expected);
        if (small != null) {
            assertThat(new String(small, StandardCharsets.UTF_8)).as(what)
                    .isEqualTo(new String(expected, StandardCharsets.UTF_8));
        }
    }

    @Test
    void corners() throws Exception {
        String[] strings = {"", "plain", "quote \" backslash \\ slash /", "\u0000\u0001\u001f\u007f\b\f\n\r\t",
                "é ü ß \u00ff \u0100 \u07ff \u0800 \uffff 中文", "😀 emoji \uD83D\uDE00\uD83D\uDE00", "\u2028\u2029"};
        for (String s : strings) {
            sameAsJackson(s.isEmpty() ? "k" : s, new Entry(Value.of(s), 1, 1));
        }
        long[] longs = {0, -1, Long.MAX_VALUE, Long.MIN_VALUE, 42};
        for (long l : longs) {
            sameAsJackson("i", new Entry(Value.of(l), Long.MAX_VALUE, 7));
        }
        double[] doubles = {0.0, -0.0, Double.MIN_VALUE, Double.MAX_VALUE, 1e-7, 1e7, 1e21, 0.1, 3, -2.5e-3,
                123456789.125, Double.MIN_NORMAL};
        for (double d : doubles) {
            sameAsJackson("f", new Entry(Value.of(d), 3, 2));
        }
    }

    @Test
    void aValueLargerThanAChunkIsStreamedAndStillTheSame() throws Exception {
        String big = "ab\"c\n€😀".repeat(EntryJson.CHUNK);
        Entry entry = new Entry(Value.of(big), 9, 9);
        assertThat(EntryJson.small("big", entry)).isNull();
        sameAsJackson("big", entry);
    }

    @Test
    void randomEntries() throws Exception {
        long seed = Long.getLong("kv.test.seed", System.nanoTime());
        System.out.println("EntryJsonTest seed: " + seed + " (replay with -Dkv.test.seed=" + seed + ")");
        Random random = new Random(seed);
        for (int i = 0; i < 5_000; i++) {
            String key = randomString(random, 1 + random.nextInt(40));
            Value value = switch (random.nextInt(3)) {
                case 0 -> Value.of(randomString(random, random.nextInt(200)));
                case 1 -> Value.of(random.nextLong());
                default -> Value.of(finite(random));
            };
            sameAsJackson(key, new Entry(value, 1 + (random.nextLong() >>> 1), 1 + random.nextInt(1000)));
        }
    }

    private static double finite(Random random) {
        double d;
        do {
            d = Double.longBitsToDouble(random.nextLong());
        } while (!Double.isFinite(d));
        return d;
    }

    /** Code points of every width, control characters and the characters JSON escapes; no lone surrogates. */
    private static String randomString(Random random, int length) {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < length) {
            int cp = switch (random.nextInt(6)) {
                case 0 -> random.nextInt(0x20);
                case 1 -> "\"\\/".charAt(random.nextInt(3));
                case 2 -> 0x20 + random.nextInt(0x60);
                case 3 -> 0x80 + random.nextInt(0x780);
                case 4 -> 0xE000 + random.nextInt(0x2000);
                default -> 0x10000 + random.nextInt(0xFFFFF);
            };
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }
}
