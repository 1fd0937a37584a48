package dev.kvstore.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ObjLongConsumer;

/**
 * Replay's working table: every key the log names, found by the hash of its UTF-8 bytes, with its latest entry. Each
 * key has one record in large shared chunks of bytes, written the first time the key is seen: its length, its
 * revisions and number, its encoding and its bytes, side by side. A frame then costs a hash probe, which reads the
 * slot and that one record, and a few stores into the same record; no object but a string value's bytes. Replay is
 * bound by those memory reads: an entry spread over six arrays took four times as many.
 *
 * <p>It keeps the order in which keys first came, and whether that was key order (as in a compacted log or a
 * snapshot), so that the index is built without a sort when it was; and the bytes a compacted log would take, kept
 * up to date as frames come, so that the build reads each record once. One thread fills it; it is read after that
 * thread is done.
 *
 * <p>The lease a key is attached to is kept aside, for the few keys that have one, and a flag in the record says
 * whether it has one: a key without a lease costs nothing more when other keys have leases, and no key is made into a
 * {@code String} until the end.
 */
final class ReplayTable {

    /** The encoding of an entry whose key was deleted (it may be set again). */
    static final byte ABSENT = -1;

    // A record, 8-byte aligned: key_len, entry number, revision, creation revision, a number's bits, encoding, whether
    // the key is attached to a lease, the value's length in its frame (so that the compacted bytes are kept without
    // reading the old value), key.
    private static final int KEY_LEN = 0;
    private static final int ENTRY = 4;
    private static final int REVISION = 8;
    private static final int CREATE_REVISION = 16;
    private static final int BITS = 24;
    private static final int ENCODING = 32;
    private static final int LEASED = 33;
    private static final int VALUE_LEN = 36;
    private static final int KEY = 40;

    /** A reference to a record: its chunk in the high bits, its offset / 8 in the low {@link #OFFSET_BITS}. */
    private static final int OFFSET_BITS = 19;
    private static final int CHUNK_BYTES = 8 << OFFSET_BITS;
    private static final int MAX_CHUNKS = 1 << (31 - OFFSET_BITS);

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private byte[][] chunks = new byte[4][];
    private int chunkCount;
    private int chunkUsed = CHUNK_BYTES;

    private int count;
    /** Each entry's record, in the order keys first came. */
    private int[] refs = new int[1024];
    /** String values by entry number; {@code null} until one is set. */
    private byte[][] texts;
    /** The key's hash (high half) and its record's reference + 1 (low half), 0 for a free slot; at most half full. */
    private long[] slots = new long[2048];
    private boolean inKeyOrder = true;
    /** Bytes of the live entries' version-2 SET frames. */
    private long liveBytes;

    /** The lease of each record whose key is attached to one ({@link #LEASED} set), and the records of each lease. */
    private final Map<Integer, Long> leaseOf = new HashMap<>();
    private final Map<Long, Set<Integer>> attached = new HashMap<>();

    /** First slots of a window of keys, read ahead of the window's frames ({@link #touch}). */
    private final long[] touched = new long[WINDOW];
    private int touchedCount;
    /** What the reads ahead read, kept so that they are not optimised away. */
    private long touchedSum;

    /** The most slots {@link #expect} makes at once (32 MiB): past that, the table grows as keys come. */
    private static final int MAX_EXPECTED_SLOTS = 1 << 22;

    /** Keys a window reads ahead. */
    static final int WINDOW = 32;

    /**
     * Makes room for {@code keys} keys (up to a bound), so that the table does not grow one doubling after the other,
     * each moving every key; before any key is added.
     */
    void expect(long keys) {
        if (count == 0 && keys > slots.length / 2) {
            long wanted = Long.highestOneBit(Math.min(2 * keys, MAX_EXPECTED_SLOTS) - 1) << 1;
            slots = new long[(int) Math.max(slots.length, wanted)];
            refs = new int[(int) Math.max(refs.length, wanted / 2)];
        }
    }

    /** The record of the key at {@code buf[at, at + len)}, or -1. */
    int find(byte[] buf, int at, int len) {
        return (int) slots[probe(buf, at, len, hash(buf, at, len))] - 1;
    }

    /** The record of the key, added ({@link #ABSENT}) with a copy of the key when it is new. */
    int findOrAdd(byte[] buf, int at, int len) {
        int h = hash(buf, at, len);
        int s = probe(buf, at, len, h);
        int ref = (int) slots[s] - 1;
        if (ref >= 0) {
            return ref;
        }
        ref = add(buf, at, len);
        slots[s] = ((long) h << 32) | ((ref + 1) & 0xFFFFFFFFL);
        if (2 * count > slots.length) {
            rehash();
        }
        return ref;
    }

    /**
     * Reads the slot where the key at {@code buf[at, at + len)} would be, ahead of applying its frame: the slots of a
     * window of keys, and then their records ({@link #endTouch}), are fetched from memory together rather than one
     * after the other, which is what a probe of a table larger than the caches waits for. Changes nothing.
     */
    void touch(byte[] buf, int at, int len) {
        if (touchedCount < WINDOW) {
            touched[touchedCount++] = slots[hash(buf, at, len) & (slots.length - 1)];
        }
    }

    /** Reads the records that the slots read by {@link #touch} name (both ends of each), and starts a new window. */
    void endTouch() {
        long sum = 0;
        for (int i = 0; i < touchedCount; i++) {
            long slot = touched[i];
            if (slot != 0) {
                int ref = (int) slot - 1;
                byte[] c = chunk(ref);
                int o = offset(ref);
                sum += c[Math.min(o + KEY + 15, c.length - 1)];
                if (texts != null) {
                    // The entry's slot for a string, which its frame may write.
                    sum += texts[(int) INT.get(c, o + ENTRY)] == null ? 0 : 1;
                }
            }
        }
        touchedSum += sum;
        touchedCount = 0;
    }

    /** The slot of the key: its record's, or the free one where it would go. */
    private int probe(byte[] buf, int at, int len, int h) {
        int mask = slots.length - 1;
        for (int s = h & mask; ; s = (s + 1) & mask) {
            long slot = slots[s];
            if (slot == 0) {
                return s;
            }
            if ((int) (slot >>> 32) == h) {
                int ref = (int) slot - 1;
                byte[] c = chunk(ref);
                int o = offset(ref);
                if ((int) INT.get(c, o + KEY_LEN) == len && Arrays.equals(c, o + KEY, o + KEY + len, buf, at, at + len)) {
                    return s;
                }
            }
        }
    }

    private int add(byte[] buf, int at, int len) {
        int size = (KEY + len + 7) & ~7;
        if (CHUNK_BYTES - chunkUsed < size) {
            if (chunkCount == MAX_CHUNKS) {
                throw new IllegalStateException("the log names more keys than replay can hold in memory");
            }
            if (chunkCount == chunks.length) {
                chunks = Arrays.copyOf(chunks, 2 * chunkCount);
            }
            // A record larger than a chunk (a key of megabytes) gets one of its own.
            chunks[chunkCount++] = new byte[Math.max(CHUNK_BYTES, size)];
            chunkUsed = 0;
        }
        int ref = ((chunkCount - 1) << OFFSET_BITS) | (chunkUsed >>> 3);
        byte[] c = chunks[chunkCount - 1];
        int o = chunkUsed;
        chunkUsed = size > CHUNK_BYTES ? CHUNK_BYTES : chunkUsed + size;
        if (count == refs.length) {
            refs = Arrays.copyOf(refs, 2 * count);
            if (texts != null) {
                texts = Arrays.copyOf(texts, 2 * count);
            }
        }
        int e = count++;
        refs[e] = ref;
        INT.set(c, o + KEY_LEN, len);
        INT.set(c, o + ENTRY, e);
        c[o + ENCODING] = ABSENT;
        c[o + LEASED] = 0;
        System.arraycopy(buf, at, c, o + KEY, len);
        if (inKeyOrder && e > 0 && compare(refs[e - 1], ref) > 0) {
            inKeyOrder = false;
        }
        return ref;
    }

    private void rehash() {
        long[] next = new long[2 * slots.length];
        int mask = next.length - 1;
        for (long slot : slots) {
            if (slot != 0) {
                int s = (int) (slot >>> 32) & mask;
                while (next[s] != 0) {
                    s = (s + 1) & mask;
                }
                next[s] = slot;
            }
        }
        slots = next;
    }

    private byte[] chunk(int ref) {
        return chunks[ref >>> OFFSET_BITS];
    }

    private static int offset(int ref) {
        return (ref & ((1 << OFFSET_BITS) - 1)) << 3;
    }

    void set(int ref, byte encoding, long bits, byte[] text, long revision, long createRevision) {
        byte[] c = chunk(ref);
        int o = offset(ref);
        if (c[o + ENCODING] != ABSENT) {
            liveBytes -= frameBytes(ref);
        }
        c[o + ENCODING] = encoding;
        INT.set(c, o + VALUE_LEN, text != null ? text.length : Frame.NUMBER_BYTES);
        LONG.set(c, o + REVISION, revision);
        LONG.set(c, o + CREATE_REVISION, createRevision);
        LONG.set(c, o + BITS, bits);
        if (text != null && texts == null) {
            texts = new byte[refs.length][];
        }
        if (texts != null) {
            texts[(int) INT.get(c, o + ENTRY)] = text;
        }
        liveBytes += frameBytes(ref);
    }

    void remove(int ref) {
        byte[] c = chunk(ref);
        int o = offset(ref);
        if (c[o + ENCODING] == ABSENT) {
            return;
        }
        liveBytes -= frameBytes(ref);
        c[o + ENCODING] = ABSENT;
        if (texts != null) {
            texts[(int) INT.get(c, o + ENTRY)] = null;
        }
    }

    /** Attaches the record's key to {@code lease}, or to none (0). */
    void attach(int ref, long lease) {
        byte[] c = chunk(ref);
        int o = offset(ref);
        if (c[o + LEASED] == 0 && lease == 0) {
            return; // the common case, on replay's path for every key
        }
        if (c[o + LEASED] != 0) {
            long old = leaseOf.remove(ref);
            Set<Integer> refs = attached.get(old);
            refs.remove(ref);
            if (refs.isEmpty()) {
                attached.remove(old);
            }
        }
        c[o + LEASED] = (byte) (lease != 0 ? 1 : 0);
        if (lease != 0) {
            leaseOf.put(ref, lease);
            attached.computeIfAbsent(lease, l -> new HashSet<>()).add(ref);
        }
    }

    /** Ends {@code lease}: the entries attached to it are deleted. */
    void endLease(long lease) {
        Set<Integer> refs = attached.remove(lease);
        if (refs != null) {
            for (int ref : refs) {
                leaseOf.remove(ref);
                chunk(ref)[offset(ref) + LEASED] = 0;
                remove(ref);
            }
        }
    }

    /** The lease the record's key is attached to, or 0: for the change feed's replay. */
    long lease(int ref) {
        return chunk(ref)[offset(ref) + LEASED] == 0 ? 0 : leaseOf.get(ref);
    }

    /** The keys attached to {@code lease}, in code point order (as the lease table gives them): for the feed. */
    List<String> keysOf(long lease) {
        Set<Integer> refs = attached.get(lease);
        if (refs == null) {
            return List.of();
        }
        List<String> keys = new ArrayList<>(refs.size());
        for (int ref : refs) {
            int o = offset(ref) + KEY;
            keys.add(Utf8.decode(chunk(ref), o, keyLength(ref)));
        }
        keys.sort(KeyOrder.CODE_POINTS);
        return keys;
    }

    /** Each key attached to a lease, with its lease. */
    void forEachAttached(ObjLongConsumer<byte[]> action) {
        leaseOf.forEach((ref, lease) -> {
            byte[] c = chunk(ref);
            int o = offset(ref) + KEY;
            action.accept(Arrays.copyOfRange(c, o, o + keyLength(ref)), lease);
        });
    }

    /** Bytes of the live entries' version-2 SET frames, which a compacted log holds. */
    long liveBytes() {
        return liveBytes;
    }

    boolean live(int ref) {
        return chunk(ref)[offset(ref) + ENCODING] != ABSENT;
    }

    /** The record's entry, or {@code null} when its key is deleted: for the change feed's replay. */
    Entry entry(int ref) {
        byte[] c = chunk(ref);
        int o = offset(ref);
        byte encoding = c[o + ENCODING];
        if (encoding == ABSENT) {
            return null;
        }
        byte[] text = texts == null ? null : texts[(int) INT.get(c, o + ENTRY)];
        return new Entry(encoding, (long) LONG.get(c, o + BITS), text, (long) LONG.get(c, o + REVISION),
                (long) LONG.get(c, o + CREATE_REVISION));
    }

    long createRevision(int ref) {
        return (long) LONG.get(chunk(ref), offset(ref) + CREATE_REVISION);
    }

    int keyLength(int ref) {
        return (int) INT.get(chunk(ref), offset(ref) + KEY_LEN);
    }

    /** Bytes of the record's version-2 SET frame. */
    private long frameBytes(int ref) {
        byte[] c = chunk(ref);
        int o = offset(ref);
        return Frame.OVERHEAD_V2 + (long) (int) INT.get(c, o + KEY_LEN) + (int) INT.get(c, o + VALUE_LEN);
    }

    /** Order of the keys of records {@code a} and {@code b}: unsigned bytes, which is code point order. */
    int compare(int a, int b) {
        byte[] ca = chunk(a);
        int oa = offset(a) + KEY;
        byte[] cb = chunk(b);
        int ob = offset(b) + KEY;
        return Arrays.compareUnsigned(ca, oa, oa + keyLength(a), cb, ob, ob + keyLength(b));
    }

    /** Bytes {@code 8 * word} to {@code 8 * word + 7} of the record's key, big-endian, zeros past its end. */
    long word(int ref, int word) {
        byte[] c = chunk(ref);
        int from = 8 * word;
        int left = (int) INT.get(c, offset(ref) + KEY_LEN) - from;
        int at = offset(ref) + KEY + from;
        if (left >= 8) {
            return (long) LONG_BE.get(c, at);
        }
        long w = 0;
        for (int i = 0; i < 8; i++) {
            w = (w << 8) | (i < left ? c[at + i] & 0xFF : 0);
        }
        return w;
    }

    /** The records of the live entries, in key order: sorted only when the keys did not come in key order. */
    int[] order() {
        int live = 0;
        for (int e = 0; e < count; e++) {
            live += live(refs[e]) ? 1 : 0;
        }
        int[] order = new int[live];
        for (int e = 0, i = 0; e < count; e++) {
            if (live(refs[e])) {
                order[i++] = refs[e];
            }
        }
        if (!inKeyOrder) {
            KeySort.sort(order, this);
        }
        return order;
    }

    /**
     * The leaf of records {@code order[from, to)}, for {@link KeyTree#build}: the reads out of the table, in no order,
     * happen here, one record each (the second loop finds them in the cache).
     */
    KeyTree.Leaf leaf(int[] order, int from, int to) {
        int n = to - from;
        int keyBytes = 0;
        boolean anyText = false;
        for (int i = from; i < to; i++) {
            keyBytes += keyLength(order[i]);
            anyText |= Frame.isText(chunk(order[i])[offset(order[i]) + ENCODING]);
        }
        byte[] keys = new byte[keyBytes];
        int[] ends = new int[n];
        long[] nums = new long[3 * n];
        byte[] encs = new byte[n];
        byte[][] ts = anyText ? new byte[n][] : null;
        for (int i = 0, b = 0; i < n; i++) {
            int ref = order[from + i];
            byte[] c = chunk(ref);
            int o = offset(ref);
            int len = (int) INT.get(c, o + KEY_LEN);
            System.arraycopy(c, o + KEY, keys, b, len);
            b += len;
            ends[i] = b;
            nums[3 * i] = (long) LONG.get(c, o + REVISION);
            nums[3 * i + 1] = (long) LONG.get(c, o + CREATE_REVISION);
            nums[3 * i + 2] = (long) LONG.get(c, o + BITS);
            encs[i] = c[o + ENCODING];
            if (ts != null) {
                ts[i] = texts[(int) INT.get(c, o + ENTRY)];
            }
        }
        return new KeyTree.Leaf(keys, ends, nums, encs, ts, null);
    }

    /** A hash of the key's bytes, eight at a time. */
    static int hash(byte[] b, int at, int len) {
        long h = 0x9E3779B97F4A7C15L * (len + 1);
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            h = (h ^ (long) LONG.get(b, at + i)) * 0xBF58476D1CE4E5B9L;
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
