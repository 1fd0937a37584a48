package dev.kvstore.store;

import java.util.Objects;

/**
 * A key's value with its revisions: {@code revision} of its last change, {@code createRevision} of the write that
 * created it (a key deleted and set again is created again), and the lease it is attached to, if any.
 *
 * <p>A number is kept as its 64 bits. A string read from the index comes as the bytes its frame stores (UTF-8, or
 * compressed UTF-8 for a large value) and becomes a {@code String} only when {@link #value()} is first called, so a
 * read that needs only the revisions (a precondition, a listing of keys) decodes nothing. A key with a lease is a
 * subclass with one more field, so that keys without one take no more memory than before leases existed. Equality is
 * that of the value, both revisions and the lease, floats compared bitwise as {@link Value.Float} does.
 */
public sealed class Entry permits Entry.Leased {

    private final ValueType type;
    private final long bits;
    private final long revision;
    private final long createRevision;
    /** Frame encoding of {@link #stored}; unused for numbers. */
    private final byte encoding;
    /** A string's bytes as its frame stores them, until decoded; {@code null} for numbers and decoded strings. */
    private final byte[] stored;
    /** A string, once decoded. A racy cache, as {@code String.hash} is: every thread computes the same value. */
    private String text;

    public Entry(Value value, long revision, long createRevision) {
        Objects.requireNonNull(value, "value");
        this.type = value.type();
        this.text = value instanceof Value.Text t ? t.value() : null;
        this.bits = value instanceof Value.Int i ? i.value()
                : value instanceof Value.Float f ? Double.doubleToRawLongBits(f.value()) : 0;
        this.revision = revision;
        this.createRevision = createRevision;
        this.encoding = type.encoding();
        this.stored = null;
    }

    /** An entry as the index keeps it: the frame's encoding, and its number or its stored string bytes. */
    Entry(byte encoding, long bits, byte[] stored, long revision, long createRevision) {
        this.type = Frame.typeOf(encoding);
        this.encoding = encoding;
        this.bits = bits;
        this.stored = type == ValueType.STRING ? stored : null;
        this.revision = revision;
        this.createRevision = createRevision;
    }

    /** A copy of {@code e}, with its value as it is kept (still undecoded, if it was). */
    private Entry(Entry e) {
        this.type = e.type;
        this.encoding = e.encoding;
        this.bits = e.bits;
        this.stored = e.stored;
        this.text = e.text;
        this.revision = e.revision;
        this.createRevision = e.createRevision;
    }

    /** {@code this}, attached to {@code lease} when it is not 0. */
    Entry withLease(long lease) {
        return lease == 0 || lease == lease() ? this : new Leased(this, lease);
    }

    /** An entry attached to {@code lease}, or to none when it is 0. */
    public static Entry of(Value value, long revision, long createRevision, long lease) {
        return lease == 0 ? new Entry(value, revision, createRevision)
                : new Leased(value, revision, createRevision, lease);
    }

    /** The lease this key is attached to (it is deleted when the lease ends), or 0 for none. */
    /**
     * The frame compaction writes for this entry under {@code key}, in the form the index keeps it (a string stored
     * compressed stays compressed; one made from a {@link Value} is plain UTF-8): see {@link Frame#encodeStoredEntry}.
     */
    byte[] encodeStored(byte magic, byte[] key) {
        boolean string = type == ValueType.STRING;
        byte[] bytes = !string ? null : stored != null ? stored : Utf8.encode(text);
        byte enc = string && stored == null ? Frame.ENCODING_UTF8 : encoding;
        return Frame.encodeStoredEntry(magic, key, 0, key.length, enc, bits, bytes, revision, createRevision, lease());
    }

    public long lease() {
        return 0;
    }

    /** An entry attached to a lease. */
    static final class Leased extends Entry {
        private final long lease;

        Leased(Value value, long revision, long createRevision, long lease) {
            super(value, revision, createRevision);
            if (lease <= 0) {
                throw new IllegalArgumentException("a lease id is positive");
            }
            this.lease = lease;
        }

        /** {@code entry}, as the index keeps it, attached to {@code lease}. */
        Leased(Entry entry, long lease) {
            super(entry);
            if (lease <= 0) {
                throw new IllegalArgumentException("a lease id is positive");
            }
            this.lease = lease;
        }

        @Override
        public long lease() {
            return lease;
        }
    }

    public Value value() {
        return switch (type) {
            case STRING -> Value.of(text());
            case INTEGER -> Value.of(bits);
            case FLOAT -> Value.of(Double.longBitsToDouble(bits));
        };
    }

    private String text() {
        String t = text;
        if (t == null) {
            t = Frame.decodeStoredText(stored, encoding);
            text = t;
        }
        return t;
    }

    public ValueType type() {
        return type;
    }

    public long revision() {
        return revision;
    }

    public long createRevision() {
        return createRevision;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e && type == e.type && bits == e.bits && revision == e.revision
                && createRevision == e.createRevision && lease() == e.lease()
                && (type != ValueType.STRING || text().equals(e.text()));
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, type == ValueType.STRING ? text() : null, bits, revision, createRevision, lease());
    }

    @Override
    public String toString() {
        return "Entry[value=" + value() + ", revision=" + revision + ", createRevision=" + createRevision
                + (lease() == 0 ? "" : ", lease=" + lease()) + "]";
    }
}
