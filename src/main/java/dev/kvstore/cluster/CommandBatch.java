package dev.kvstore.cluster;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of a Raft entry (the commands one node proposed together, see {@link WriteBatcher}) and of its reply (their
 * results, in the same order). Both have the same layout, big-endian:
 * <pre>
 *   offset 0  MAGIC (1 byte)
 *   offset 1  count (int)
 *   offset 5  count items, each: length (int), then that many bytes
 * </pre>
 * An entry that does not start with {@link #MAGIC} holds one command as it is: the format before commands were
 * batched, so a log written then still applies. (A command of the store starts with its codec's version byte, a
 * guarded one with {@code 0xE7}.)
 */
final class CommandBatch {

    static final byte MAGIC = (byte) 0xB7;
    private static final int COUNT_OFFSET = 1;
    static final int HEADER_BYTES = COUNT_OFFSET + Integer.BYTES;
    static final int ITEM_OVERHEAD = Integer.BYTES;

    private CommandBatch() {
    }

    /** The largest entry a batch may take when no command exceeds {@code maxCommandBytes}: one such command fits. */
    static int maxEntryBytes(int maxCommandBytes) {
        return HEADER_BYTES + ITEM_OVERHEAD + maxCommandBytes;
    }

    static byte[] encode(List<byte[]> items) {
        int size = HEADER_BYTES;
        for (byte[] item : items) {
            size += ITEM_OVERHEAD + item.length;
        }
        final ByteBuffer out = ByteBuffer.allocate(size);
        out.put(MAGIC).putInt(items.size());
        for (byte[] item : items) {
            out.putInt(item.length).put(item);
        }
        return out.array();
    }

    /**
     * The items in {@code bytes}; one item, the bytes themselves, when they do not start with {@link #MAGIC}.
     *
     * @throws IllegalArgumentException when they start with it but are not a batch, exactly
     */
    static List<byte[]> decode(byte[] bytes) {
        if (bytes.length == 0 || bytes[0] != MAGIC) {
            return List.of(bytes);
        }
        if (bytes.length < HEADER_BYTES) {
            throw new IllegalArgumentException("a command batch of " + bytes.length + " bytes ends in its header");
        }
        final ByteBuffer in = ByteBuffer.wrap(bytes);
        final int count = in.getInt(COUNT_OFFSET);
        in.position(HEADER_BYTES);
        // Each item takes at least its length field: a larger count cannot be right, and must not size the list.
        if (count < 0 || count > in.remaining() / ITEM_OVERHEAD) {
            throw new IllegalArgumentException("a command batch of " + bytes.length + " bytes claims " + count
                    + " items");
        }
        final List<byte[]> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            final int length = in.remaining() >= ITEM_OVERHEAD ? in.getInt() : -1;
            if (length < 0 || length > in.remaining()) {
                throw new IllegalArgumentException("item " + i + " of a command batch ends past its "
                        + bytes.length + " bytes (at offset " + in.position() + ")");
            }
            final byte[] item = new byte[length];
            in.get(item);
            items.add(item);
        }
        if (in.hasRemaining()) {
            throw new IllegalArgumentException("a command batch has " + in.remaining() + " bytes after its "
                    + count + " items");
        }
        return items;
    }
}
