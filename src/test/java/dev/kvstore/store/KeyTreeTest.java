package dev.kvstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The copy-on-write tree and replay's bulk build against a plain sorted map, on random operations that split and merge
 * leaves and inner nodes: the same entries in the same order, lookups, listings from any point; a tree once published
 * never changes under later edits; the bulk build gives the same tree whatever order the keys came in. Each test
 * prints its seed; set {@code -Dkv.seed=N} to replay one.
 */
class KeyTreeTest {

    private static long seed() {
        long seed = Long.getLong("kv.seed", System.nanoTime());
        System.out.println("KeyTreeTest seed: " + seed + " (replay with -Dkv.seed=" + seed + ")");
        return seed;
    }

    /** Keys with shared prefixes, varied lengths, a zero byte and non-ASCII characters, from a small space. */
    private static String key(SplittableRandom r, int space) {
        int n = r.nextInt(space);
        return switch (n % 5) {
            case 0 -> "k/" + n;
            case 1 -> "k/" + n + "/" + "x".repeat(n % 23);
            case 2 -> "ünï/" + n;
            case 3 -> "k\u0000" + n;
            default -> "🙂" + Integer.toString(n, 36);
        };
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A model entry as the tree keeps it. */
    private record Model(byte enc, long bits, String text, long rev, long crev) {
        Entry entry() {
            return new Entry(enc, bits, text == null ? null : bytes(text), rev, crev);
        }
    }

    @Test
    void editsMatchASortedMapAndPublishedTreesNeverChange() {
        SplittableRandom r = new SplittableRandom(seed());
        TreeMap<String, Model> model = new TreeMap<>(KeyOrder.CODE_POINTS);
        KeyTree.Node root = KeyTree.EMPTY;
        List<KeyTree.Node> roots = new ArrayList<>();
        List<TreeMap<String, Model>> models = new ArrayList<>();
        long rev = 0;
        for (int group = 0; group < 240; group++) {
            KeyTree.Edit edit = new KeyTree.Edit(root);
            int ops = 1 + r.nextInt(group % 30 == 0 ? 3000 : 40);
            // Phases: mostly inserts, then mostly deletes, so that nodes split and later merge.
            boolean deleting = (group / 60) % 2 == 1;
            for (int i = 0; i < ops; i++) {
                String k = key(r, 4000);
                byte[] kb = bytes(k);
                if (r.nextInt(10) < (deleting ? 7 : 2)) {
                    Model old = model.remove(k);
                    long removed = edit.delete(kb, 0, kb.length);
                    assertThat(removed >= 0).as("delete of %s found it", k).isEqualTo(old != null);
                } else {
                    rev++;
                    boolean text = r.nextBoolean();
                    Model m = text ? new Model(Frame.ENCODING_UTF8, 0, "v" + rev, rev, rev)
                            : new Model(Frame.ENCODING_I64, r.nextLong(), null, rev, rev);
                    Model old = model.put(k, m);
                    // Padding around the key: the tree copies exactly its bytes.
                    byte[] padded = new byte[kb.length + 6];
                    System.arraycopy(kb, 0, padded, 3, kb.length);
                    long replaced = edit.set(padded, 3, kb.length, m.enc, m.bits,
                            m.text == null ? null : bytes(m.text), m.rev, m.crev);
                    assertThat(replaced >= 0).as("set of %s replaced an entry", k).isEqualTo(old != null);
                }
            }
            root = edit.finish();
            if (group % 4 == 0) {
                check(root, model, r);
            }
            if (group % 20 == 0) {
                roots.add(root);
                models.add(new TreeMap<>(model));
            }
        }
        for (int i = 0; i < roots.size(); i++) {
            assertThat(contents(roots.get(i))).as("tree %d after later edits", i).isEqualTo(flatten(models.get(i)));
        }
    }

    private static void check(KeyTree.Node root, TreeMap<String, Model> model, SplittableRandom r) {
        assertThat(contents(root)).isEqualTo(flatten(model));
        checkShape(root, true);
        for (int i = 0; i < 50; i++) {
            String k = key(r, 4000);
            Model m = model.get(k);
            assertThat(KeyTree.get(root, bytes(k))).as("get %s", k).isEqualTo(m == null ? null : m.entry());
            boolean inclusive = r.nextBoolean();
            Map.Entry<String, Model> from = inclusive ? model.ceilingEntry(k) : model.higherEntry(k);
            KeyTree.Cursor c = new KeyTree.Cursor(root, bytes(k), inclusive);
            assertThat(c.valid()).isEqualTo(from != null);
            if (from != null) {
                assertThat(c.leaf().key(c.index())).isEqualTo(from.getKey());
            }
        }
    }

    /** Sizes within bounds and separators that divide the keys. */
    private static void checkShape(KeyTree.Node n, boolean root) {
        if (n instanceof KeyTree.Leaf leaf) {
            assertThat(leaf.size()).isLessThanOrEqualTo(KeyTree.MAX_LEAF);
            assertThat(leaf.size() > 0 || root).isTrue();
            return;
        }
        KeyTree.Inner in = (KeyTree.Inner) n;
        assertThat(in.kids.length).isBetween(root ? 2 : 1, KeyTree.MAX_INNER);
        assertThat(in.sepEnds.length).isEqualTo(in.kids.length - 1);
        for (int i = 0; i < in.sepEnds.length; i++) {
            byte[] sep = Arrays.copyOfRange(in.seps, in.sepFrom(i), in.sepEnds[i]);
            assertThat(Arrays.compareUnsigned(last(in.kids[i]), sep)).isNegative();
            assertThat(Arrays.compareUnsigned(first(in.kids[i + 1]), sep)).isNotNegative();
        }
        for (KeyTree.Node kid : in.kids) {
            checkShape(kid, false);
        }
    }

    private static byte[] first(KeyTree.Node n) {
        while (n instanceof KeyTree.Inner in) {
            n = in.kids[0];
        }
        KeyTree.Leaf l = (KeyTree.Leaf) n;
        return Arrays.copyOfRange(l.keys, 0, l.keyTo(0));
    }

    private static byte[] last(KeyTree.Node n) {
        while (n instanceof KeyTree.Inner in) {
            n = in.kids[in.kids.length - 1];
        }
        KeyTree.Leaf l = (KeyTree.Leaf) n;
        return Arrays.copyOfRange(l.keys, l.keyFrom(l.size() - 1), l.keyTo(l.size() - 1));
    }

    private static List<String> contents(KeyTree.Node root) {
        List<String> out = new ArrayList<>();
        for (KeyTree.Cursor c = new KeyTree.Cursor(root, null, true); c.valid(); c.next()) {
            out.add(c.leaf().key(c.index()) + "=" + c.leaf().entry(c.index()));
        }
        return out;
    }

    private static List<String> flatten(TreeMap<String, Model> model) {
        List<String> out = new ArrayList<>();
        model.forEach((k, m) -> out.add(k + "=" + m.entry()));
        return out;
    }

    @Test
    void theBulkBuildGivesTheSameEntriesInKeyOrderWhateverOrderTheKeysCameIn() {
        SplittableRandom r = new SplittableRandom(seed());
        for (int round = 0; round < 7; round++) {
            // The last round spans several of the build's runs, which two threads cut into leaves.
            int n = round == 0 ? 0 : round == 1 ? 1 : round == 6 ? 2 * KeyTree.RUN + 999 : 1 + r.nextInt(round * 6_000);
            TreeMap<String, Model> model = new TreeMap<>(KeyOrder.CODE_POINTS);
            KeyIndex.Builder shuffled = new KeyIndex.Builder();
            long rev = 0;
            for (int i = 0; i < n; i++) {
                String k = key(r, Math.max(1, n));
                rev++;
                if (r.nextInt(8) == 0) {
                    model.remove(k);
                    shuffled.accept(new LogRecord.Delete(k, rev));
                } else {
                    Model old = model.get(k);
                    long crev = old == null ? rev : old.crev;
                    // Strings in some stretches of keys only, so that some leaves have none.
                    boolean text = k.startsWith("ü");
                    Model m = text ? new Model(Frame.ENCODING_UTF8, 0, "s" + i, rev, crev)
                            : new Model(Frame.ENCODING_I64, i, null, rev, crev);
                    model.put(k, m);
                    shuffled.accept(new LogRecord.Set(k, text ? Value.of("s" + i) : Value.of((long) i), rev, crev));
                }
            }
            KeyIndex index = new KeyIndex(shuffled);
            assertThat(contents(index)).isEqualTo(flatten(model));
            // The same entries in key order: built without a sort.
            KeyIndex.Builder ordered = new KeyIndex.Builder();
            model.forEach((k, m) -> ordered.accept(new LogRecord.Set(k,
                    m.text != null ? Value.of(m.text) : Value.of(m.bits), m.rev, m.crev)));
            assertThat(contents(new KeyIndex(ordered))).isEqualTo(flatten(model));
            assertThat(index.size()).isEqualTo(model.size());
        }
    }

    private static List<String> contents(KeyIndex index) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Entry> e : index.list("", null, Integer.MAX_VALUE).entries()) {
            out.add(e.getKey() + "=" + e.getValue());
        }
        return out;
    }

    @Test
    void utf8ValidityIsExactlyWhatTheStrictDecoderAccepts() {
        SplittableRandom r = new SplittableRandom(seed());
        byte[] interesting = {0, 0x41, 0x7F, (byte) 0x80, (byte) 0xBF, (byte) 0xC0, (byte) 0xC1, (byte) 0xC2,
            (byte) 0xDF, (byte) 0xE0, (byte) 0xED, (byte) 0xEF, (byte) 0xF0, (byte) 0xF4, (byte) 0xF5, (byte) 0xFF,
            (byte) 0x9F, (byte) 0xA0, (byte) 0x8F, (byte) 0x90};
        for (int i = 0; i < 60_000; i++) {
            byte[] b = new byte[r.nextInt(12)];
            for (int j = 0; j < b.length; j++) {
                b[j] = r.nextBoolean() ? interesting[r.nextInt(interesting.length)] : (byte) r.nextInt(256);
            }
            assertThat(Utf8.isValid(b, 0, b.length)).as("%s", Arrays.toString(b))
                    .isEqualTo(Utf8.decode(b, 0, b.length) != null);
        }
        byte[] text = "plain ASCII long enough for the 8-byte path, then ü ✓ 🙂".getBytes(StandardCharsets.UTF_8);
        assertThat(Utf8.isValid(text, 0, text.length)).isTrue();
        assertThat(Utf8.isValid(text, 0, text.length - 1)).isFalse();
    }
}
