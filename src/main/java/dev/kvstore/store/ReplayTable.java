package dev.kvstore.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Replay's working table: every key the log names, found by the hash of its UTF-8 bytes, with its latest entry. A
 * frame costs a hash probe and a few array stores, and no object but a string value's bytes: keys are copied into
 * large shared chunks the first time they are seen, and entries live in parallel arrays. It keeps the order in which
 * keys first came, and whether that was key order (as in a compacted log or a snapshot), so that the index is built
 * without a sort when it was. {@link #sorted} then gives the live entries in key order for {@link KeyTree#build}.
 *
 * <p>One thread fills it; it is read after that thread is done.
 */
final class ReplayTable {

    /** An entry whose key was deleted (it may be set again). */
    static final byte ABSENT = -1;
    private static final int CHUNK_BYTES = 1 << 22;
    private static final int NUMS = 3;
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private byte[][] chunks = new byte[4][];
    private int chunkCount;
    private int chunkUsed = CHUNK_BYTES;

    private int count;
    private int[] chunkOf = new int[1024];
    private int[] keyAt = new int[1024];
    private int[] keyLen = new int[1024];
    private int[] hashes = new int[1024];
    private long[] nums = new long[NUMS * 1024];
    private byte[] encs = new byte[1024];
    private byte[][] texts;

    /** Entry + 1 by hash, 0 for a free slot; at most half full. */
    private int[] slots = new int[2048];
    private boolean inKeyOrder = true;

    int count() {
        return count;
    }

    /** The entry of the key at {@code buf[at, at + len)}, or -1. */
    int find(byte[] buf, int at, int len) {
        int h = hash(buf, at, len);
        int mask = slots.length - 1;
        for (int s = h & mask; ; s = (s + 1) & mask) {
            int e = slots[s] - 1;
            if (e < 0) {
                return -1;
            }
            if (hashes[e] == h && keyLen[e] == len && Arrays.equals(chunks[chunkOf[e]], keyAt[e], keyAt[e] + len,
                    buf, at, at + len)) {
                return e;
            }
        }
    }

    /** The entry of the key, added ({@link #ABSENT}) with a copy of the key when it is new. */
    int findOrAdd(byte[] buf, int at, int len) {
        int h = hash(buf, at, len);
        int mask = slots.length - 1;
        int s = h & mask;
        for (; ; s = (s + 1) & mask) {
            int e = slots[s] - 1;
            if (e < 0) {
                break;
            }
            if (hashes[e] == h && keyLen[e] == len && Arrays.equals(chunks[chunkOf[e]], keyAt[e], keyAt[e] + len,
                    buf, at, at + len)) {
                return e;
            }
        }
        int e = add(buf, at, len, h);
        slots[s] = e + 1;
        if (2 * count > slots.length) {
            rehash();
        }
        return e;
    }

    private int add(byte[] buf, int at, int len, int h) {
        if (count == keyLen.length) {
            grow();
        }
        if (CHUNK_BYTES - chunkUsed < len) {
            if (chunkCount == chunks.length) {
                chunks = Arrays.copyOf(chunks, 2 * chunkCount);
            }
            chunks[chunkCount++] = new byte[Math.max(CHUNK_BYTES, len)];
            chunkUsed = 0;
        }
        int e = count++;
        byte[] chunk = chunks[chunkCount - 1];
        System.arraycopy(buf, at, chunk, chunkUsed, len);
        chunkOf[e] = chunkCount - 1;
        keyAt[e] = chunkUsed;
        keyLen[e] = len;
        hashes[e] = h;
        encs[e] = ABSENT;
        chunkUsed += len;
        if (inKeyOrder && e > 0 && compare(e - 1, e) > 0) {
            inKeyOrder = false;
        }
        return e;
    }

    private void grow() {
        int n = 2 * keyLen.length;
        chunkOf = Arrays.copyOf(chunkOf, n);
        keyAt = Arrays.copyOf(keyAt, n);
        keyLen = Arrays.copyOf(keyLen, n);
        hashes = Arrays.copyOf(hashes, n);
        nums = Arrays.copyOf(nums, NUMS * n);
        encs = Arrays.copyOf(encs, n);
        if (texts != null) {
            texts = Arrays.copyOf(texts, n);
        }
    }

    private void rehash() {
        int[] next = new int[2 * slots.length];
        int mask = next.length - 1;
        for (int e = 0; e < count; e++) {
            int s = hashes[e] & mask;
            while (next[s] != 0) {
                s = (s + 1) & mask;
            }
            next[s] = e + 1;
        }
        slots = next;
    }

    void set(int e, byte encoding, long bits, byte[] text, long revision, long createRevision) {
        encs[e] = encoding;
        nums[NUMS * e] = revision;
        nums[NUMS * e + 1] = createRevision;
        nums[NUMS * e + 2] = bits;
        if (text != null && texts == null) {
            texts = new byte[keyLen.length][];
        }
        if (texts != null) {
            texts[e] = text;
        }
    }

    void remove(int e) {
        encs[e] = ABSENT;
        if (texts != null) {
            texts[e] = null;
        }
    }

    boolean live(int e) {
        return encs[e] != ABSENT;
    }

    long createRevision(int e) {
        return nums[NUMS * e + 1];
    }

    /** Bytes of entry {@code e}'s version-2 SET frame, which a compacted log holds. */
    long frameBytes(int e) {
        byte[] t = texts == null ? null : texts[e];
        return Frame.OVERHEAD_V2 + (long) keyLen[e] + (t != null ? t.length : Frame.NUMBER_BYTES);
    }

    /** Order of the keys of entries {@code a} and {@code b}: unsigned bytes, which is code point order. */
    int compare(int a, int b) {
        return Arrays.compareUnsigned(chunks[chunkOf[a]], keyAt[a], keyAt[a] + keyLen[a],
                chunks[chunkOf[b]], keyAt[b], keyAt[b] + keyLen[b]);
    }

    int keyLength(int e) {
        return keyLen[e];
    }

    /** Bytes {@code 8 * word} to {@code 8 * word + 7} of entry {@code e}'s key, big-endian, zeros past its end. */
    long word(int e, int word) {
        int from = 8 * word;
        int left = keyLen[e] - from;
        byte[] chunk = chunks[chunkOf[e]];
        int at = keyAt[e] + from;
        if (left >= 8) {
            return (long) LONG_BE.get(chunk, at);
        }
        long w = 0;
        for (int i = 0; i < 8; i++) {
            w = (w << 8) | (i < left ? chunk[at + i] & 0xFF : 0);
        }
        return w;
    }

    /** The live entries in key order: sorted only when the keys did not come in key order. */
    KeyTree.Sorted sorted() {
        int live = 0;
        for (int e = 0; e < count; e++) {
            live += encs[e] != ABSENT ? 1 : 0;
        }
        int[] order = new int[live];
        for (int e = 0, i = 0; e < count; e++) {
            if (encs[e] != ABSENT) {
                order[i++] = e;
            }
        }
        if (!inKeyOrder) {
            KeySort.sort(order, this);
        }
        return new View(order);
    }

    private final class View implements KeyTree.Sorted {
        private final int[] order;

        View(int[] order) {
            this.order = order;
        }

        @Override
        public int count() {
            return order.length;
        }

        @Override
        public byte[] keyArray(int i) {
            return chunks[chunkOf[order[i]]];
        }

        @Override
        public int keyOffset(int i) {
            return keyAt[order[i]];
        }

        @Override
        public int keyLength(int i) {
            return keyLen[order[i]];
        }

        @Override
        public byte encoding(int i) {
            return encs[order[i]];
        }

        @Override
        public long bits(int i) {
            return nums[NUMS * order[i] + 2];
        }

        @Override
        public byte[] text(int i) {
            return texts == null ? null : texts[order[i]];
        }

        @Override
        public long revision(int i) {
            return nums[NUMS * order[i]];
        }

        @Override
        public long createRevision(int i) {
            return nums[NUMS * order[i] + 1];
        }
    }

    /** A hash of the key's bytes, eight at a time. */
    static int hash(byte[] b, int at, int len) {
        long h = 0x9E3779B97F4A7C15L * (len + 1);
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            h = (h ^ (long) LONG_LE.get(b, at + i)) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        long w = 0;
        for (int j = len - 1; j >= i; j--) {
            w = (w << 8) | (b[at + j] & 0xFF);
        }
        h = (h ^ w) * 0x94D049BB133111EBL;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        return (int) (h ^ (h >>> 32));
    }
}
