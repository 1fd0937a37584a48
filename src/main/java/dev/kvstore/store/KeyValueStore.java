package dev.kvstore.store;

import java.time.Duration;
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

    /** Grants a lease of {@code ttl} (1 ms to 365 days); its id is the revision the grant took. */
    LeaseResult grantLease(Duration ttl);

    /**
     * Renews the lease {@code id} for its whole time to live from now; returns that time to live in milliseconds,
     * or -1 when the lease has expired or was revoked.
     */
    long keepLeaseAlive(long id);

    /** Ends the lease {@code id} and deletes every key attached to it, in one revision (see {@link WalKeyValueStore}). */
    LeaseResult revokeLease(long id, String keyPrefix);

    /** The lease {@code id} with its keys, or {@code null} when it has ended or never was. */
    Lease lease(long id);

    LeaseStatus leaseStatus();

    IdempotencyStatus idempotencyStatus();

    /** The change feed: the changes of the recent revisions this store applied, each with the entry before it. */
    ChangeFeed feed();

    /**
     * Checks that {@code key} is one the store takes.
     *
     * @throws InvalidEntryException when it is not
     */
    void validateKey(String key);
}
