package dev.kvstore.replication;

import dev.kvstore.cluster.ClusterConfig;
import dev.kvstore.cluster.ClusterNode;
import dev.kvstore.cluster.ClusterUnavailableException;
import dev.kvstore.cluster.CommandTooLargeException;
import dev.kvstore.store.BatchOperation;
import dev.kvstore.store.BatchResult;
import dev.kvstore.store.Command;
import dev.kvstore.store.CommandCodec;
import dev.kvstore.store.CommandResult;
import dev.kvstore.store.Entry;
import dev.kvstore.store.IdempotentResult;
import dev.kvstore.store.InvalidEntryException;
import dev.kvstore.store.KeyLease;
import dev.kvstore.store.KeyValueStore;
import dev.kvstore.store.Page;
import dev.kvstore.store.Precondition;
import dev.kvstore.store.ReplicaStore;
import dev.kvstore.store.StoreObserver;
import dev.kvstore.store.StoreOptions;
import dev.kvstore.store.Value;
import dev.kvstore.store.WriteOutcome;
import dev.kvstore.store.WriteResult;
import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * The store in cluster mode: one member of a Raft group ({@link ClusterNode}) whose state is the engine's
 * {@link ReplicaStore}.
 * <p>
 * A write is checked against this node's limits, encoded ({@link CommandCodec}) and proposed through the group; it
 * returns once the command is committed (forced on a majority) and applied, with the result the state machine
 * decided, the same on every replica. Reads answer from this replica's state: after {@link #readBarrier()} they
 * reflect every write acknowledged before the barrier began (linearizable); without it they may be stale.
 */
public final class ReplicatedKeyValueStore implements KeyValueStore, AutoCloseable {

    private final ReplicaStore replica;
    private final ClusterNode node;
    private final StoreObserver observer;

    private ReplicatedKeyValueStore(ReplicaStore replica, ClusterNode node, StoreObserver observer) {
        this.replica = replica;
        this.node = node;
        this.observer = observer;
    }

    /**
     * Starts this node's Raft server over an empty replica, which loads the newest snapshot and then applies the log
     * after it. The magic byte, the limits and the observer come from {@code options}; nothing is written under its
     * data directory but Raft's own {@code raft/}.
     */
    public static ReplicatedKeyValueStore start(ClusterConfig config, StoreOptions options) throws IOException {
        ReplicaStore replica = ReplicaStore.empty(options);
        return new ReplicatedKeyValueStore(replica, ClusterNode.start(config, new EngineState(replica)),
                options.observer());
    }

    public ClusterNode node() {
        return node;
    }

    public ReplicaStore replica() {
        return replica;
    }

    /**
     * Waits until this replica has applied every write acknowledged before the call (a ReadIndex through the
     * leader); reads after it are linearizable.
     *
     * @throws ClusterUnavailableException when no leader with a majority confirmed it in time
     */
    public void readBarrier() {
        node.client().readBarrier();
    }

    @Override
    public Entry get(String key) {
        return replica.get(key);
    }

    @Override
    public Page list(String prefix, String after, int limit) {
        return replica.list(prefix, after, limit);
    }

    @Override
    public void validateKey(String key) {
        replica.validateKey(key);
    }

    @Override
    public WriteResult put(String key, Value value, Precondition precondition) {
        return (WriteResult) propose(StoreObserver.Operation.SET, new Command.Put(key, value, precondition));
    }

    @Override
    public WriteResult delete(String key, Precondition precondition) {
        return (WriteResult) propose(StoreObserver.Operation.DELETE, new Command.Delete(key, precondition));
    }

    @Override
    public WriteResult increment(String key, Value step, Precondition precondition) {
        return (WriteResult) propose(StoreObserver.Operation.INCREMENT, new Command.Increment(key, step, precondition));
    }

    @Override
    public BatchResult batch(List<BatchOperation> operations) {
        return (BatchResult) propose(StoreObserver.Operation.BATCH, new Command.Batch(operations));
    }

    /**
     * A put, delete, increment or batch without leases. Leases are not replicated yet (their expiry must be run by
     * the leader, issue 17), so a command that attaches or grants one is refused before it is proposed.
     */
    @Override
    public CommandResult execute(Command command) {
        if (command instanceof Command.Put p) {
            noLease(p.lease());
            return propose(StoreObserver.Operation.SET, p);
        }
        if (command instanceof Command.Increment i) {
            noLease(i.lease());
            return propose(StoreObserver.Operation.INCREMENT, i);
        }
        if (command instanceof Command.Delete d) {
            return propose(StoreObserver.Operation.DELETE, d);
        }
        if (command instanceof Command.Batch b) {
            b.operations().forEach(op -> noLease(op.lease()));
            return propose(StoreObserver.Operation.BATCH, b);
        }
        throw new InvalidEntryException(InvalidEntryException.Reason.INVALID_LEASE,
                "leases are not available in cluster mode yet");
    }

    /** Idempotency keys are not replicated yet: a request with one is refused, and nothing is done. */
    @Override
    public IdempotentResult idempotent(String scope, String key, Command.Fingerprint fingerprint, Command command) {
        throw new InvalidEntryException(InvalidEntryException.Reason.INVALID_IDEMPOTENCY_KEY,
                "Idempotency-Key is not available in cluster mode yet; send the request without it");
    }

    private static void noLease(KeyLease lease) {
        if (lease instanceof KeyLease.Attach || lease instanceof KeyLease.Grant) {
            throw new InvalidEntryException(InvalidEntryException.Reason.INVALID_LEASE,
                    "leases (lease, ttl) are not available in cluster mode yet; write without them");
        }
    }

    /**
     * @throws InvalidEntryException       when this node's limits refuse the command; nothing was proposed
     * @throws ClusterUnavailableException when it was not committed in time: its outcome is unknown
     */
    private CommandResult propose(StoreObserver.Operation operation, Command command) {
        byte[] bytes = replica.encode(command);
        byte[] answer;
        try {
            answer = node.client().write(bytes);
        } catch (CommandTooLargeException e) {
            throw new InvalidEntryException(InvalidEntryException.Reason.BATCH_TOO_LARGE, e.getMessage());
        } catch (ClusterUnavailableException e) {
            observer.onOperation(operation, "failed");
            throw e;
        }
        if (answer.length == 0) {
            // ReplicaStore.MALFORMED: the command this node encoded did not decode on the replicas.
            throw new IllegalStateException("the replicas could not decode a command this node encoded");
        }
        CommandResult result = CommandCodec.decodeResult(answer);
        observer.onOperation(operation, outcome(result));
        return result;
    }

    private static String outcome(CommandResult result) {
        if (result instanceof BatchResult b) {
            return b.applied() ? "applied" : "precondition_failed";
        }
        WriteOutcome o = ((WriteResult) result).outcome();
        return o.name().toLowerCase(Locale.ROOT);
    }

    /** Stops this node's Raft server; the state in memory goes with it (the Raft log and snapshots hold it). */
    @Override
    public void close() {
        node.close();
    }
}
