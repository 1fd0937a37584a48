package dev.kvstore.store;

import java.util.Objects;

/**
 * A key's value with its revisions: {@code revision} of its last change, {@code createRevision} of the write that
 * created it (a key deleted and set again is created again), and the lease it is attached to, if any.
 *
 * <p>The index holds one per key, so it keeps the value inline instead of pointing at a {@link Value}: a number is
 * its 64 bits, a string its {@code String}. That saves an object (16 to 24 bytes) per key; {@link #value()} makes
 * the {@code Value} when it is read. A key with a lease is a subclass with one more field, so that keys without one
 * take no more memory than before leases existed. Equality is that of the value, both revisions and the lease,
 * floats compared bitwise as {@link Value.Float} does.
 */
public sealed class Entry permits Entry.Leased {

    private final String text;
    private final long bits;
    private final long revision;
    private final long createRevision;
    private final ValueType type;

    public Entry(Value value, long revision, long createRevision) {
        Objects.requireNonNull(value, "value");
        this.type = value.type();
        this.text = value instanceof Value.Text t ? t.value() : null;
        this.bits = value instanceof Value.Int i ? i.value()
                : value instanceof Value.Float f ? Double.doubleToRawLongBits(f.value()) : 0;
        this.revision = revision;
        this.createRevision = createRevision;
    }

    /** An entry attached to {@code lease}, or to none when it is 0. */
    public static Entry of(Value value, long revision, long createRevision, long lease) {
        return lease == 0 ? new Entry(value, revision, createRevision)
                : new Leased(value, revision, createRevision, lease);
    }

    /** The lease this key is attached to (it is deleted when the lease ends), or 0 for none. */
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

        @Override
        public long lease() {
            return lease;
        }
    }

    public Value value() {
        return switch (type) {
            case STRING -> Value.of(text);
            case INTEGER -> Value.of(bits);
            case FLOAT -> Value.of(Double.longBitsToDouble(bits));
        };
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
        return o instanceof Entry e && type == e.type && bits == e.bits && Objects.equals(text, e.text)
                && revision == e.revision && createRevision == e.createRevision && lease() == e.lease();
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, text, bits, revision, createRevision, lease());
    }

    @Override
    public String toString() {
        return "Entry[value=" + value() + ", revision=" + revision + ", createRevision=" + createRevision
                + (lease() == 0 ? "" : ", lease=" + lease()) + "]";
    }
}
