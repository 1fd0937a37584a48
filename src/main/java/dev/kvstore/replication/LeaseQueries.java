package dev.kvstore.replication;

import dev.kvstore.store.Lease;
import dev.kvstore.store.ReplicaStore;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The requests only the leader answers, because deadlines are its soft state, and their bytes (little-endian):
 * <pre>
 * request   := op u8 (1 KEEPALIVE, 2 LEASE) , lease i64
 * KEEPALIVE := ttl_ms i64                                  (-1: the lease is gone)
 * LEASE     := found u8 (0 or 1) , [ ttl_ms i64 , remaining_ms i64 , count u32 , (length u32 , UTF-8 key) * count ]
 * </pre>
 * They travel between the nodes of one cluster only (through Ratis's read-only requests), never into a log.
 */
final class LeaseQueries {

    private static final byte KEEPALIVE = 1;
    private static final byte LEASE = 2;

    private LeaseQueries() {
    }

    static byte[] keepAlive(long lease) {
        return request(KEEPALIVE, lease);
    }

    static byte[] lease(long lease) {
        return request(LEASE, lease);
    }

    private static byte[] request(byte op, long lease) {
        return ByteBuffer.allocate(1 + Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).put(op).putLong(lease).array();
    }

    /** On the leader: the answer to {@code request}; a request that is not one is answered as of a lease gone. */
    static byte[] answer(ReplicaStore replica, byte[] request) {
        if (request.length != 1 + Long.BYTES || (request[0] != KEEPALIVE && request[0] != LEASE)) {
            throw new IllegalArgumentException("not a lease query");
        }
        long id = ByteBuffer.wrap(request, 1, Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (request[0] == KEEPALIVE) {
            return ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(replica.keepAlive(id))
                    .array();
        }
        Lease l = replica.lease(id);
        if (l == null) {
            return new byte[] {0};
        }
        List<byte[]> keys = new ArrayList<>(l.keys().size());
        int size = 1 + 2 * Long.BYTES + Integer.BYTES;
        for (String key : l.keys()) {
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            keys.add(k);
            size += Integer.BYTES + k.length;
        }
        ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN).put((byte) 1).putLong(l.ttlMillis())
                .putLong(l.remainingMillis()).putInt(keys.size());
        for (byte[] k : keys) {
            out.putInt(k.length).put(k);
        }
        return out.array();
    }

    static long keepAliveAnswer(byte[] answer) {
        return ByteBuffer.wrap(answer).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** The lease in a LEASE answer, or {@code null} when it is gone. */
    static Lease leaseAnswer(long id, byte[] answer) {
        try {
            ByteBuffer in = ByteBuffer.wrap(answer).order(ByteOrder.LITTLE_ENDIAN);
            if (in.get() == 0) {
                return null;
            }
            long ttl = in.getLong();
            long remaining = in.getLong();
            int count = in.getInt();
            List<String> keys = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                byte[] k = new byte[in.getInt()];
                in.get(k);
                keys.add(new String(k, StandardCharsets.UTF_8));
            }
            return new Lease(id, ttl, remaining, keys);
        } catch (BufferUnderflowException | IllegalArgumentException | NegativeArraySizeException e) {
            throw new IllegalStateException("the leader's answer to a lease query is cut short", e);
        }
    }
}
