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

    EntryLimits(StoreOptions options) {
        this.maxKeyBytes = options.maxKeyBytes();
        this.maxValueBytes = options.maxValueBytes();
        this.maxBatchOperations = options.maxBatchOperations();
        this.maxBatchBytes = options.maxBatchBytes();
    }

    /**
     * Checks {@code command} and returns the length of the frame it writes, if it writes one.
     *
     * @throws InvalidEntryException when the store does not take it
     */
    int check(Command command) {
        if (command instanceof Command.Put c) {
            int key = keyBytes(c.key());
            return Frame.OVERHEAD_V2 + key + valueBytes(c.value());
        }
        if (command instanceof Command.Delete c) {
            return Frame.OVERHEAD_V2 + keyBytes(c.key());
        }
        if (command instanceof Command.Increment c) {
            int key = keyBytes(c.key());
            if (c.step() instanceof Value.Text) {
                throw new InvalidEntryException(InvalidEntryException.Reason.NOT_A_NUMBER, "the step must be a number");
            }
            return Frame.OVERHEAD_V2 + key + valueBytes(c.step());
        }
        return Frame.OVERHEAD_V2 + batchBytes((Command.Batch) command);
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
            bytes += Frame.BATCH_OP_HEADER + keyBytes(op.key()) + (op.isDelete() ? 0 : valueBytes(op.value()));
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
