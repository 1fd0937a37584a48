package dev.kvstore.store;

import java.util.HashSet;
import java.util.Set;

/**
 * What the store takes: keys of 1 to {@code maxKeyBytes} UTF-8 bytes of valid Unicode, values within
 * {@code maxValueBytes}, finite floats, numeric steps, batches of 1 to {@code maxBatchOperations} operations on
 * distinct keys within {@code maxBatchBytes}. A command is checked before it is queued, so the
 * {@link StateMachine} only ever decides commands that fit, and a refused one changes nothing.
 */
final class EntryLimits {

    private final int maxKeyBytes;
    private final int maxValueBytes;
    private final int maxBatchOperations;
    private final int maxBatchBytes;
    private final long maxItemsBytes;

    EntryLimits(StoreOptions options) {
        this.maxKeyBytes = options.maxKeyBytes();
        this.maxValueBytes = options.maxValueBytes();
        this.maxBatchOperations = options.maxBatchOperations();
        this.maxBatchBytes = options.maxBatchBytes();
        this.maxItemsBytes = options.format().maxItemsBytes();
    }

    /**
     * Checks {@code command} and returns the length of the frame it writes, if it writes one.
     *
     * @throws InvalidEntryException when the store does not take it
     */
    int check(Command command) {
        if (command instanceof Command.Idempotent c) {
            return idempotent(c);
        }
        if (command instanceof Command.Put c) {
            int key = keyBytes(c.key());
            return Frame.OVERHEAD_V2 + key + valueBytes(c.value()) + leaseBytes(c.lease(), true);
        }
        if (command instanceof Command.Delete c) {
            return Frame.OVERHEAD_V2 + keyBytes(c.key());
        }
        if (command instanceof Command.Increment c) {
            int key = keyBytes(c.key());
            if (c.step() instanceof Value.Text) {
                throw new InvalidEntryException(InvalidEntryException.Reason.NOT_A_NUMBER, "the step must be a number");
            }
            return Frame.OVERHEAD_V2 + key + valueBytes(c.step()) + leaseBytes(c.lease(), true);
        }
        if (command instanceof Command.GrantLease c) {
            ttl(c.ttlMillis());
            return Frame.OVERHEAD_V2 + GRANT_OP_BYTES;
        }
        if (command instanceof Command.RevokeLease c) {
            if (c.lease() <= 0) {
                throw new InvalidEntryException(InvalidEntryException.Reason.INVALID_LEASE,
                        "a lease id is a positive number");
            }
            return Frame.OVERHEAD_V2 + REVOKE_OP_BYTES;
        }
        return Frame.OVERHEAD_V2 + batchBytes((Command.Batch) command);
    }

    /** The shortest and longest time to live of a lease. */
    static final long MIN_TTL_MILLIS = 1;
    static final long MAX_TTL_MILLIS = java.time.Duration.ofDays(365).toMillis();
    private static final int GRANT_OP_BYTES = Frame.BATCH_OP_HEADER + Frame.NUMBER_BYTES;
    private static final int REVOKE_OP_BYTES = Frame.BATCH_OP_HEADER + Frame.NUMBER_BYTES + 1;
    /** What a single SET costs more as a BATCH of one SET_LEASED: the operation's header and the lease id. */
    private static final int LEASED_SET_EXTRA = Frame.BATCH_OP_HEADER + Frame.NUMBER_BYTES;

    private static void ttl(long ttlMillis) {
        if (ttlMillis < MIN_TTL_MILLIS || ttlMillis > MAX_TTL_MILLIS) {
            throw new InvalidEntryException(InvalidEntryException.Reason.INVALID_LEASE, String.format(
                    "a lease's time to live is 1 ms to %d days, not %d ms", MAX_TTL_MILLIS / 86_400_000L, ttlMillis));
        }
    }

    /**
     * Bytes a single write's lease may add to its frame (it may then be a BATCH of a SET_LEASED, and of a grant);
     * {@link KeyLease#KEEP} counts as a lease, since the key may have one.
     */
    private static int leaseBytes(KeyLease lease, boolean single) {
        if (lease instanceof KeyLease.None) {
            return 0;
        }
        if (lease instanceof KeyLease.Grant g) {
            if (!single) {
                throw new InvalidEntryException(InvalidEntryException.Reason.INVALID_LEASE,
                        "a batch cannot grant a lease; grant one first and attach the keys to it");
            }
            ttl(g.ttlMillis());
            return LEASED_SET_EXTRA + GRANT_OP_BYTES;
        }
        return single ? LEASED_SET_EXTRA : Frame.NUMBER_BYTES;
    }

    /**
     * The scope and key of an idempotent command, and its frame: the command's operations as a BATCH holds them,
     * and the record, whose result must fit in what a frame holds beyond the limits.
     */
    private int idempotent(Command.Idempotent c) {
        int scope;
        try {
            scope = Utf8.checkedLength(c.scope());
        } catch (IllegalArgumentException e) {
            throw new InvalidEntryException(InvalidEntryException.Reason.INVALID_IDEMPOTENCY_KEY,
                    "the scope is " + e.getMessage());
        }
        if (scope < 1 || scope > Frame.MAX_RECORD_KEY_BYTES) {
            throw new InvalidEntryException(InvalidEntryException.Reason.INVALID_IDEMPOTENCY_KEY,
                    "the scope of an idempotency key is 1 to 255 bytes");
        }
        checkIdempotencyKey(c.key());
        int inner = check(c.command());
        int record = Frame.BATCH_OP_HEADER + c.key().length() + Frame.RECORD_FIXED_BYTES + scope
                + CommandCodec.maxResultBytesWithoutStrings(c.command());
        long items = inner - Frame.OVERHEAD_V2 + Frame.BATCH_OP_HEADER + record;
        if (items > maxItemsBytes) {
            throw new InvalidEntryException(InvalidEntryException.Reason.BATCH_TOO_LARGE, String.format(
                    "with its idempotency record, the request would take %d bytes in the log; the limit is %d",
                    items, maxItemsBytes));
        }
        return (int) (Frame.OVERHEAD_V2 + items);
    }

    /**
     * Checks an idempotency key: 1 to 255 visible ASCII characters (space included), as the Idempotency-Key header
     * carries it.
     *
     * @throws InvalidEntryException when it is not one
     */
    static void checkIdempotencyKey(String key) {
        if (key == null || key.isEmpty() || key.length() > Frame.MAX_RECORD_KEY_BYTES
                || !key.chars().allMatch(ch -> ch >= 0x20 && ch <= 0x7E)) {
            throw new InvalidEntryException(InvalidEntryException.Reason.INVALID_IDEMPOTENCY_KEY,
                    "an idempotency key is 1 to 255 visible ASCII characters");
        }
    }

    /** The length of the key's UTF-8 form. */
    int keyBytes(String key) {
        if (key == null || key.isEmpty()) {
            throw new InvalidEntryException(InvalidEntryException.Reason.EMPTY_KEY, "the key is empty");
        }
        int bytes;
        try {
            bytes = Utf8.checkedLength(key);
        } catch (IllegalArgumentException e) {
            throw new InvalidEntryException(InvalidEntryException.Reason.NOT_UNICODE, "the key is " + e.getMessage());
        }
        if (bytes > maxKeyBytes) {
            throw new InvalidEntryException(InvalidEntryException.Reason.KEY_TOO_LONG, String.format(
                    "the key is %d UTF-8 bytes; the limit is %d", bytes, maxKeyBytes));
        }
        return bytes;
    }

    private int valueBytes(Value value) {
        if (value instanceof Value.Float f && !Double.isFinite(f.value())) {
            throw new InvalidEntryException(InvalidEntryException.Reason.NOT_FINITE,
                    "a float value must be finite, not " + f.value());
        }
        int bytes;
        try {
            bytes = value instanceof Value.Text t ? Utf8.checkedLength(t.value()) : Frame.NUMBER_BYTES;
        } catch (IllegalArgumentException e) {
            throw new InvalidEntryException(InvalidEntryException.Reason.NOT_UNICODE, "the value is " + e.getMessage());
        }
        if (bytes > maxValueBytes) {
            throw new InvalidEntryException(InvalidEntryException.Reason.VALUE_TOO_LARGE, String.format(
                    "the value is %d UTF-8 bytes; the limit is %d", bytes, maxValueBytes));
        }
        return bytes;
    }

    /** The bytes of a batch's operations in its frame. */
    private long batchBytesOf(Command.Batch batch) {
        var operations = batch.operations();
        if (operations.isEmpty()) {
            throw new InvalidEntryException(InvalidEntryException.Reason.INVALID_BATCH, "the batch has no operation");
        }
        if (operations.size() > maxBatchOperations) {
            throw new InvalidEntryException(InvalidEntryException.Reason.BATCH_TOO_LARGE, String.format(
                    "the batch has %d operations; the limit is %d", operations.size(), maxBatchOperations));
        }
        Set<String> keys = new HashSet<>();
        long bytes = 0;
        for (int i = 0; i < operations.size(); i++) {
            BatchOperation op = operations.get(i);
            if (!keys.add(op.key())) {
                throw new InvalidEntryException(InvalidEntryException.Reason.INVALID_BATCH, String.format(
                        "operation %d repeats the key \"%s\"; each key may appear once in a batch", i, op.key()));
            }
            bytes += Frame.BATCH_OP_HEADER + keyBytes(op.key())
                    + (op.isDelete() ? 0 : valueBytes(op.value()) + leaseBytes(op.lease(), false));
        }
        return bytes;
    }

    private int batchBytes(Command.Batch batch) {
        long bytes = batchBytesOf(batch);
        if (bytes > maxBatchBytes) {
            throw new InvalidEntryException(InvalidEntryException.Reason.BATCH_TOO_LARGE, String.format(
                    "the batch's operations take %d bytes in the log; the limit is %d", bytes, maxBatchBytes));
        }
        return (int) bytes;
    }
}
