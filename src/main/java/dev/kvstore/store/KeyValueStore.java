package dev.kvstore.store;

import java.util.List;

/**
 * What the HTTP layer reads and writes: keys, values and their revisions. {@link WalKeyValueStore} is the single-node
 * store behind its own log; in cluster mode, the same operations go through the replicated log (writes are decided
 * by {@link ReplicaStore#apply} on every replica) and reads come from this replica's {@link ReplicaStore}.
 *
 * <p>The contract of each method is {@link WalKeyValueStore}'s.
 */
public interface KeyValueStore {

    /** The entry of {@code key} with its value and revisions, or {@code null} when it has none. */
    Entry get(String key);

    /** A page of the keys that start with {@code prefix}, after {@code after}, all read from one state. */
    Page list(String prefix, String after, int limit);

    WriteResult put(String key, Value value, Precondition precondition);

    WriteResult delete(String key, Precondition precondition);

    WriteResult increment(String key, Value step, Precondition precondition);

    BatchResult batch(List<BatchOperation> operations);

    /** Decides a write command (a put, delete, increment or batch, with its lease) and returns its result. */
    CommandResult execute(Command command);

    /** Decides {@code command} once for {@code scope}'s idempotency {@code key}; see {@link WalKeyValueStore}. */
    IdempotentResult idempotent(String scope, String key, Command.Fingerprint fingerprint, Command command);

    /**
     * Checks that {@code key} is one the store takes.
     *
     * @throws InvalidEntryException when it is not
     */
    void validateKey(String key);
}
