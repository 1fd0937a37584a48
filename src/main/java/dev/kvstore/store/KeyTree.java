package dev.kvstore.store;

import java.util.Arrays;

/**
 * The index's sorted structure: a copy-on-write B+tree of UTF-8 keys in unsigned byte order, which is code point
 * order ({@link KeyOrder}). A leaf keeps up to {@link #MAX_LEAF} entries in a few arrays, not an object per key: the
 * keys' bytes back to back and where each ends, three longs per entry (revision, creation revision, and a number's
 * bits), the frame encodings, and the stored strings (only in a leaf that has one). A key then costs its bytes and
 * about 30 more, where a skip list of {@code String}s and entry objects took over 110.
 *
 * <p>Nothing reachable from a published root changes. An {@link Edit} (one per applied group) copies the path to each
 * leaf it changes, once per group: nodes it made itself it changes in place, since no reader can reach them before
 * the new root is published with one volatile write. So readers take no lock and see whole groups, and a listing
 * walks one consistent tree. Every array of a leaf is exactly as long as it needs: copying it anyway, the tree keeps
 * no spare room.
 */
final class KeyTree {

    static final int MAX_LEAF = 64;
    static final int MAX_INNER = 64;
    /** A node smaller than this after a delete is merged with a neighbour when both fit in three quarters of one. */
    private static final int MIN_LEAF = MAX_LEAF / 4;
    private static final int MIN_INNER = MAX_INNER / 4;
    /** Longs per leaf entry in {@link Leaf#nums}. */
    private static final int NUMS = 3;

    static final Leaf EMPTY = new Leaf(new byte[0], new int[0], new long[0], new byte[0], null, null);

    private KeyTree() {
    }

    /**
     * A node; {@code edit} is the token of the {@link Edit} that made it, which may still change it in place (a token,
     * not the edit itself, so that a node keeps no old tree alive).
     */
    abstract static sealed class Node permits Leaf, Inner {
        Object edit;

        abstract int size();
    }

    /** Up to {@link #MAX_LEAF} entries in key order. */
    static final class Leaf extends Node {
        byte[] keys;
        int[] ends;
        long[] nums;
        byte[] encs;
        /** {@code null} when no entry of the leaf is a string. */
        byte[][] texts;

        Leaf(byte[] keys, int[] ends, long[] nums, byte[] encs, byte[][] texts, Object edit) {
            this.keys = keys;
            this.ends = ends;
            this.nums = nums;
            this.encs = encs;
            this.texts = texts;
            this.edit = edit;
        }

        @Override
        int size() {
            return ends.length;
        }

        int keyFrom(int i) {
            return i == 0 ? 0 : ends[i - 1];
        }

        int keyTo(int i) {
            return ends[i];
        }

        long revision(int i) {
            return nums[NUMS * i];
        }

        long createRevision(int i) {
            return nums[NUMS * i + 1];
        }

        long bits(int i) {
            return nums[NUMS * i + 2];
        }

        byte encoding(int i) {
            return encs[i];
        }

        byte[] text(int i) {
            return texts == null ? null : texts[i];
        }

        /** Bytes of entry {@code i}'s value in its frame. */
        int valueBytes(int i) {
            byte[] t = text(i);
            return t != null ? t.length : Frame.NUMBER_BYTES;
        }

        /** Bytes of entry {@code i}'s version-2 SET frame. */
        long frameBytes(int i) {
            return Frame.OVERHEAD_V2 + (long) (keyTo(i) - keyFrom(i)) + valueBytes(i);
        }

        Entry entry(int i) {
            return new Entry(encs[i], bits(i), text(i), revision(i), createRevision(i));
        }

        String key(int i) {
            return Utf8.decode(keys, keyFrom(i), keyTo(i) - keyFrom(i));
        }

        /** The entry of the key, or {@code -(insertion point + 1)}. */
        int find(byte[] k, int ko, int kl) {
            int lo = 0;
            int hi = ends.length - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                int c = Arrays.compareUnsigned(keys, keyFrom(mid), ends[mid], k, ko, ko + kl);
                if (c < 0) {
                    lo = mid + 1;
                } else if (c > 0) {
                    hi = mid - 1;
                } else {
                    return mid;
                }
            }
            return -(lo + 1);
        }
    }

    /** Children in key order, and between each two the separator: the smallest key of the one on its right. */
    static final class Inner extends Node {
        byte[] seps;
        int[] sepEnds;
        Node[] kids;

        Inner(byte[] seps, int[] sepEnds, Node[] kids, Object edit) {
            this.seps = seps;
            this.sepEnds = sepEnds;
            this.kids = kids;
            this.edit = edit;
        }

        @Override
        int size() {
            return kids.length;
        }

        int sepFrom(int i) {
            return i == 0 ? 0 : sepEnds[i - 1];
        }

        /** The child whose keys would include this one: the number of separators at or below it. */
        int child(byte[] k, int ko, int kl) {
            int lo = 0;
            int hi = sepEnds.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (Arrays.compareUnsigned(seps, sepFrom(mid), sepEnds[mid], k, ko, ko + kl) <= 0) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }

    /** The leaf entry of the key in the tree under {@code root}, or {@code null}. */
    static Entry get(Node root, byte[] k) {
        Node n = root;
        while (n instanceof Inner in) {
            n = in.kids[in.child(k, 0, k.length)];
        }
        Leaf leaf = (Leaf) n;
        int i = leaf.find(k, 0, k.length);
        return i < 0 ? null : leaf.entry(i);
    }

    // ---------------------------------------------------------------- changes

    /**
     * One group's changes to a tree, made on the writer thread. It copies what it changes (once: what it made, it
     * changes in place) and leaves the tree it started from as it was.
     */
    static final class Edit {
        /** Marks the nodes this edit made. */
        private final Object token = new Object();
        private Node root;
        /** Set when a node split: the separator and the new right node, for the parent to take in. */
        private byte[] splitKey;
        private Node splitRight;
        /** What the last {@link #set} or {@link #delete} replaced: the old value's frame bytes, or -1 for none. */
        private long replacedFrameBytes;
        // The entry being set, so that the recursion does not pass it along.
        private byte[] k;
        private int ko;
        private int kl;
        private byte enc;
        private long bits;
        private byte[] text;
        private long rev;
        private long crev;

        Edit(Node root) {
            this.root = root;
        }

        /** The tree with every change so far; the edit changes none of its nodes after this. */
        Node finish() {
            Node r = root;
            root = null;
            return r;
        }

        /**
         * Sets the key at {@code k[ko, ko + kl)} (copied) to the entry given. Returns the frame bytes of the entry it
         * replaced, or -1 when the key was new.
         */
        long set(byte[] k, int ko, int kl, byte enc, long bits, byte[] text, long rev, long crev) {
            this.k = k;
            this.ko = ko;
            this.kl = kl;
            this.enc = enc;
            this.bits = bits;
            this.text = text;
            this.rev = rev;
            this.crev = crev;
            replacedFrameBytes = -1;
            Node n = set(root);
            if (splitRight != null) {
                byte[] sep = splitKey;
                n = new Inner(sep, new int[] {sep.length}, new Node[] {n, splitRight}, token);
                splitKey = null;
                splitRight = null;
            }
            root = n;
            this.k = null;
            this.text = null;
            return replacedFrameBytes;
        }

        /** Deletes the key; returns the frame bytes of the entry it removed, or -1 when there was none. */
        long delete(byte[] k, int ko, int kl) {
            this.k = k;
            this.ko = ko;
            this.kl = kl;
            replacedFrameBytes = -1;
            Node n = delete(root);
            while (n instanceof Inner in && in.kids.length == 1) {
                n = in.kids[0];
            }
            root = n instanceof Inner in && in.kids.length == 0 ? EMPTY : n;
            this.k = null;
            return replacedFrameBytes;
        }

        private Node set(Node n) {
            if (n instanceof Leaf leaf) {
                int i = leaf.find(k, ko, kl);
                if (i >= 0) {
                    replacedFrameBytes = leaf.frameBytes(i);
                    return replace(leaf, i);
                }
                return insert(leaf, -i - 1);
            }
            Inner in = (Inner) n;
            int c = in.child(k, ko, kl);
            Node kid = set(in.kids[c]);
            if (splitRight == null) {
                return withKid(in, c, kid);
            }
            byte[] sep = splitKey;
            Node right = splitRight;
            splitKey = null;
            splitRight = null;
            return insertKid(in, c, kid, sep, right);
        }

        private Leaf replace(Leaf leaf, int i) {
            Leaf out = leaf;
            if (leaf.edit != token) {
                // The keys stay as they are, so the copy shares their arrays.
                out = new Leaf(leaf.keys, leaf.ends, leaf.nums.clone(), leaf.encs.clone(),
                        leaf.texts == null ? null : leaf.texts.clone(), token);
            }
            if (out.texts == null && text != null) {
                out.texts = new byte[out.size()][];
            }
            out.nums[NUMS * i] = rev;
            out.nums[NUMS * i + 1] = crev;
            out.nums[NUMS * i + 2] = bits;
            out.encs[i] = enc;
            if (out.texts != null) {
                out.texts[i] = text;
            }
            return out;
        }

        /** Inserts the entry at {@code i}; a full leaf splits, and the parent takes the right half in. */
        private Leaf insert(Leaf leaf, int i) {
            int n = leaf.size() + 1;
            if (n <= MAX_LEAF) {
                return combined(leaf, i, 0, n);
            }
            // Appending at the end keeps the left leaf full, so that keys written in order fill their leaves.
            int s = i == n - 1 ? n - 1 : i == 0 ? 1 : n / 2;
            Leaf left = combined(leaf, i, 0, s);
            Leaf right = combined(leaf, i, s, n);
            splitKey = Arrays.copyOfRange(right.keys, 0, right.keyTo(0));
            splitRight = right;
            return left;
        }

        /** Entries {@code [a, b)} of the leaf with the entry being set inserted at {@code i}, as a new leaf. */
        private Leaf combined(Leaf leaf, int i, int a, int b) {
            boolean withNew = a <= i && i < b;
            int oldA = a <= i ? a : a - 1;
            int oldB = b <= i ? b : b - 1;
            int headB = Math.min(oldB, i);
            int tailA = Math.max(oldA, i);
            int keyBytes = bytesOf(leaf, oldA, headB) + bytesOf(leaf, tailA, oldB) + (withNew ? kl : 0);
            LeafWriter w = new LeafWriter(b - a, keyBytes, leaf.texts != null || (withNew && text != null));
            w.copy(leaf, oldA, headB);
            if (withNew) {
                w.add(k, ko, kl, enc, bits, text, rev, crev);
            }
            w.copy(leaf, tailA, oldB);
            return w.leaf(token);
        }

        private Node withKid(Inner in, int c, Node kid) {
            if (in.kids[c] == kid) {
                return in;
            }
            if (in.edit == token) {
                in.kids[c] = kid;
                return in;
            }
            Node[] kids = in.kids.clone();
            kids[c] = kid;
            return new Inner(in.seps, in.sepEnds, kids, token);
        }

        /** Replaces child {@code c} by {@code left} and {@code right} with {@code sep} between; splits when full. */
        private Inner insertKid(Inner in, int c, Node left, byte[] sep, Node right) {
            int n = in.kids.length + 1;
            Node[] kids = new Node[n];
            System.arraycopy(in.kids, 0, kids, 0, c);
            kids[c] = left;
            kids[c + 1] = right;
            System.arraycopy(in.kids, c + 1, kids, c + 2, n - c - 2);
            Packed seps = Packed.insert(in.seps, in.sepEnds, c, sep);
            if (n <= MAX_INNER) {
                return new Inner(seps.bytes, seps.ends, kids, token);
            }
            int s = c + 1 == n - 1 ? n - 1 : n / 2;
            splitKey = seps.key(s - 1);
            Packed l = seps.slice(0, s - 1);
            Packed r = seps.slice(s, n - 1);
            splitRight = new Inner(r.bytes, r.ends, Arrays.copyOfRange(kids, s, n), token);
            return new Inner(l.bytes, l.ends, Arrays.copyOf(kids, s), token);
        }

        private Node delete(Node n) {
            if (n instanceof Leaf leaf) {
                int i = leaf.find(k, ko, kl);
                if (i < 0) {
                    return leaf;
                }
                replacedFrameBytes = leaf.frameBytes(i);
                LeafWriter w = new LeafWriter(leaf.size() - 1,
                        leaf.keys.length - (leaf.keyTo(i) - leaf.keyFrom(i)), leaf.texts != null);
                w.copy(leaf, 0, i);
                w.copy(leaf, i + 1, leaf.size());
                return w.leaf(token);
            }
            Inner in = (Inner) n;
            int c = in.child(k, ko, kl);
            Node old = in.kids[c];
            Node kid = delete(old);
            if (kid == old) {
                return in;
            }
            if (kid.size() == 0) {
                return removeKid(in, c);
            }
            int min = kid instanceof Leaf ? MIN_LEAF : MIN_INNER;
            int max = (kid instanceof Leaf ? MAX_LEAF : MAX_INNER) * 3 / 4;
            if (kid.size() < min && in.kids.length > 1) {
                int nb = c > 0 ? c - 1 : c + 1;
                Node neighbour = in.kids[nb];
                if (kid.size() + neighbour.size() <= max) {
                    int l = Math.min(c, nb);
                    Node merged = l == c ? merge(kid, neighbour, in, l) : merge(neighbour, kid, in, l);
                    return mergeKids(in, l, merged);
                }
            }
            return withKid(in, c, kid);
        }

        /** Child {@code c} is empty: drop it and the separator on one side of it. */
        private Inner removeKid(Inner in, int c) {
            int n = in.kids.length;
            Node[] kids = new Node[n - 1];
            System.arraycopy(in.kids, 0, kids, 0, c);
            System.arraycopy(in.kids, c + 1, kids, c, n - c - 1);
            Packed seps = n == 1 ? Packed.NONE : Packed.remove(in.seps, in.sepEnds, c == 0 ? 0 : c - 1);
            return new Inner(seps.bytes, seps.ends, kids, token);
        }

        /** Children {@code l} and {@code l + 1} become {@code merged}; the separator between them goes. */
        private Inner mergeKids(Inner in, int l, Node merged) {
            int n = in.kids.length;
            Node[] kids = new Node[n - 1];
            System.arraycopy(in.kids, 0, kids, 0, l);
            kids[l] = merged;
            System.arraycopy(in.kids, l + 2, kids, l + 1, n - l - 2);
            Packed seps = Packed.remove(in.seps, in.sepEnds, l);
            return new Inner(seps.bytes, seps.ends, kids, token);
        }

        /** {@code left} and {@code right}, neighbours under {@code parent} with separator {@code sep} between. */
        private Node merge(Node left, Node right, Inner parent, int sep) {
            if (left instanceof Leaf a) {
                Leaf b = (Leaf) right;
                LeafWriter w = new LeafWriter(a.size() + b.size(), a.keys.length + b.keys.length,
                        a.texts != null || b.texts != null);
                w.copy(a, 0, a.size());
                w.copy(b, 0, b.size());
                return w.leaf(token);
            }
            Inner a = (Inner) left;
            Inner b = (Inner) right;
            Node[] kids = new Node[a.kids.length + b.kids.length];
            System.arraycopy(a.kids, 0, kids, 0, a.kids.length);
            System.arraycopy(b.kids, 0, kids, a.kids.length, b.kids.length);
            Packed middle = Packed.insert(a.seps, a.sepEnds, a.sepEnds.length,
                    Arrays.copyOfRange(parent.seps, parent.sepFrom(sep), parent.sepEnds[sep]));
            Packed all = Packed.concat(middle, new Packed(b.seps, b.sepEnds));
            return new Inner(all.bytes, all.ends, kids, token);
        }
    }

    private static int bytesOf(Leaf leaf, int from, int to) {
        return from >= to ? 0 : leaf.keyTo(to - 1) - leaf.keyFrom(from);
    }

    /** Fills a new leaf, entry by entry, in key order. */
    static final class LeafWriter {
        private final byte[] keys;
        private final int[] ends;
        private final long[] nums;
        private final byte[] encs;
        private final byte[][] texts;
        private int n;
        private int kb;

        LeafWriter(int count, int keyBytes, boolean withTexts) {
            keys = new byte[keyBytes];
            ends = new int[count];
            nums = new long[NUMS * count];
            encs = new byte[count];
            texts = withTexts ? new byte[count][] : null;
        }

        /** Copies entries {@code [from, to)} of {@code src}. */
        void copy(Leaf src, int from, int to) {
            if (from >= to) {
                return;
            }
            int b0 = src.keyFrom(from);
            int b1 = src.keyTo(to - 1);
            System.arraycopy(src.keys, b0, keys, kb, b1 - b0);
            for (int i = from; i < to; i++) {
                ends[n + i - from] = src.ends[i] - b0 + kb;
            }
            System.arraycopy(src.nums, NUMS * from, nums, NUMS * n, NUMS * (to - from));
            System.arraycopy(src.encs, from, encs, n, to - from);
            // A leaf cut from a run without strings in its range keeps no array for them.
            if (src.texts != null && texts != null) {
                System.arraycopy(src.texts, from, texts, n, to - from);
            }
            n += to - from;
            kb += b1 - b0;
        }

        void add(byte[] k, int ko, int kl, byte enc, long bits, byte[] text, long rev, long crev) {
            System.arraycopy(k, ko, keys, kb, kl);
            kb += kl;
            ends[n] = kb;
            nums[NUMS * n] = rev;
            nums[NUMS * n + 1] = crev;
            nums[NUMS * n + 2] = bits;
            encs[n] = enc;
            if (texts != null) {
                texts[n] = text;
            }
            n++;
        }

        Leaf leaf(Object edit) {
            if (n != ends.length || kb != keys.length) {
                throw new IllegalStateException("a leaf of " + ends.length + " entries got " + n);
            }
            return new Leaf(keys, ends, nums, encs, texts, edit);
        }
    }

    /** A packed list of keys (separators), as an inner node keeps them. */
    record Packed(byte[] bytes, int[] ends) {
        static final Packed NONE = new Packed(new byte[0], new int[0]);

        int from(int i) {
            return i == 0 ? 0 : ends[i - 1];
        }

        byte[] key(int i) {
            return Arrays.copyOfRange(bytes, from(i), ends[i]);
        }

        /** Keys {@code [a, b)}. */
        Packed slice(int a, int b) {
            if (a >= b) {
                return NONE;
            }
            int b0 = from(a);
            int[] e = new int[b - a];
            for (int i = a; i < b; i++) {
                e[i - a] = ends[i] - b0;
            }
            return new Packed(Arrays.copyOfRange(bytes, b0, ends[b - 1]), e);
        }

        static Packed insert(byte[] bytes, int[] ends, int at, byte[] key) {
            Packed p = new Packed(bytes, ends);
            return concat(concat(p.slice(0, at), new Packed(key, new int[] {key.length})), p.slice(at, ends.length));
        }

        static Packed remove(byte[] bytes, int[] ends, int at) {
            Packed p = new Packed(bytes, ends);
            return concat(p.slice(0, at), p.slice(at + 1, ends.length));
        }

        static Packed concat(Packed a, Packed b) {
            byte[] bytes = Arrays.copyOf(a.bytes, a.bytes.length + b.bytes.length);
            System.arraycopy(b.bytes, 0, bytes, a.bytes.length, b.bytes.length);
            int[] ends = Arrays.copyOf(a.ends, a.ends.length + b.ends.length);
            for (int i = 0; i < b.ends.length; i++) {
                ends[a.ends.length + i] = b.ends[i] + a.bytes.length;
            }
            return new Packed(bytes, ends);
        }
    }

    // ---------------------------------------------------------------- bulk build

    /** Entries taken a leaf at a time, in key order, for {@link #build}. */
    interface Leaves {
        /** The leaf of entries {@code [from, to)} of the whole, in key order (not part of any tree). */
        Leaf leaf(int from, int to);
    }

    /** Leaves per block of a build; the two threads of a build take every other block. */
    static final int BLOCK = 1024;
    /** Entries in a block of full leaves. */
    static final int RUN = MAX_LEAF * BLOCK;

    /**
     * A tree of {@code n} entries in key order, in one pass: full leaves (within one entry of each other), made by
     * {@code src} in blocks of {@link #BLOCK} on two threads, each taking every other block, then each level of inner
     * nodes above them.
     */
    static Node build(int n, Leaves src) {
        if (n == 0) {
            return EMPTY;
        }
        int count = (n + MAX_LEAF - 1) / MAX_LEAF;
        int blocks = (count + BLOCK - 1) / BLOCK;
        Node[] leaves = new Node[count];
        Throwable[] failed = new Throwable[1];
        Runnable odd = () -> {
            try {
                for (int b = 1; b < blocks; b += 2) {
                    makeLeaves(src, n, count, b, leaves);
                }
            } catch (Throwable t) {
                failed[0] = t;
            }
        };
        Thread helper = blocks > 1 ? new Thread(odd, "kv-index-build") : null;
        if (helper != null) {
            helper.start();
        }
        for (int b = 0; b < blocks; b += 2) {
            makeLeaves(src, n, count, b, leaves);
        }
        if (helper != null) {
            Threads.joinUninterruptibly(helper);
            if (failed[0] instanceof Error e) {
                throw e;
            }
            if (failed[0] != null) {
                throw new IllegalStateException("the index build's second thread failed", failed[0]);
            }
        }
        Node[] level = leaves;
        while (level.length > 1) {
            level = innerLevel(level);
        }
        return level[0];
    }

    /** Leaves {@code [BLOCK * block, BLOCK * (block + 1))} of {@code count} over {@code n} entries, into {@code out}. */
    private static void makeLeaves(Leaves src, int n, int count, int block, Node[] out) {
        for (int l = block * BLOCK; l < Math.min(count, (block + 1) * BLOCK); l++) {
            out[l] = src.leaf((int) ((long) n * l / count), (int) ((long) n * (l + 1) / count));
        }
    }

    private static Node[] innerLevel(Node[] kids) {
        int n = kids.length;
        int parents = (n + MAX_INNER - 1) / MAX_INNER;
        Node[] out = new Node[parents];
        for (int p = 0, at = 0; p < parents; p++) {
            int to = (int) ((long) n * (p + 1) / parents);
            byte[][] seps = new byte[to - at - 1][];
            int bytes = 0;
            for (int i = at + 1; i < to; i++) {
                seps[i - at - 1] = firstKey(kids[i]);
                bytes += seps[i - at - 1].length;
            }
            byte[] packed = new byte[bytes];
            int[] ends = new int[seps.length];
            for (int i = 0, b = 0; i < seps.length; i++) {
                System.arraycopy(seps[i], 0, packed, b, seps[i].length);
                b += seps[i].length;
                ends[i] = b;
            }
            out[p] = new Inner(packed, ends, Arrays.copyOfRange(kids, at, to), null);
            at = to;
        }
        return out;
    }

    private static byte[] firstKey(Node n) {
        while (n instanceof Inner in) {
            n = in.kids[0];
        }
        Leaf leaf = (Leaf) n;
        return Arrays.copyOfRange(leaf.keys, 0, leaf.keyTo(0));
    }

    // ---------------------------------------------------------------- reading in order

    /** A position in one tree, moving forward in key order. */
    static final class Cursor {
        private final Inner[] path = new Inner[32];
        private final int[] at = new int[32];
        private int depth;
        private Leaf leaf;
        private int i;

        /**
         * At the first key at or after {@code k} ({@code inclusive}) or after it, or at the first key of all when
         * {@code k} is {@code null}.
         */
        Cursor(Node root, byte[] k, boolean inclusive) {
            Node n = root;
            while (n instanceof Inner in) {
                int c = k == null ? 0 : in.child(k, 0, k.length);
                path[depth] = in;
                at[depth++] = c;
                n = in.kids[c];
            }
            leaf = (Leaf) n;
            if (k == null) {
                i = 0;
            } else {
                int f = leaf.find(k, 0, k.length);
                i = f >= 0 ? (inclusive ? f : f + 1) : -f - 1;
            }
            if (i >= leaf.size()) {
                nextLeaf();
            }
        }

        boolean valid() {
            return leaf != null;
        }

        Leaf leaf() {
            return leaf;
        }

        int index() {
            return i;
        }

        void next() {
            if (++i >= leaf.size()) {
                nextLeaf();
            }
        }

        private void nextLeaf() {
            while (depth > 0) {
                Inner in = path[depth - 1];
                int c = at[depth - 1] + 1;
                if (c < in.kids.length) {
                    at[depth - 1] = c;
                    Node n = in.kids[c];
                    while (n instanceof Inner down) {
                        path[depth] = down;
                        at[depth++] = 0;
                        n = down.kids[0];
                    }
                    leaf = (Leaf) n;
                    i = 0;
                    if (leaf.size() > 0) {
                        return;
                    }
                } else {
                    depth--;
                }
            }
            leaf = null;
        }

        /** Whether the current key starts with {@code prefix}. */
        boolean startsWith(byte[] prefix) {
            int from = leaf.keyFrom(i);
            return leaf.keyTo(i) - from >= prefix.length
                    && Arrays.equals(leaf.keys, from, from + prefix.length, prefix, 0, prefix.length);
        }
    }
}
