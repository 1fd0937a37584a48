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
import dev.kvstore.store.IdempotencyStatus;
import dev.kvstore.store.IdempotentResult;
import dev.kvstore.store.InvalidEntryException;
import dev.kvstore.store.KeyValueStore;
import dev.kvstore.store.Lease;
import dev.kvstore.store.LeaseResult;
import dev.kvstore.store.LeaseStatus;
import dev.kvstore.store.Page;
import dev.kvstore.store.Precondition;
import dev.kvstore.store.ReplicaStore;
import dev.kvstore.store.StoreObserver;
import dev.kvstore.store.StoreOptions;
import dev.kvstore.store.Value;
import dev.kvstore.store.WriteOutcome;
import dev.kvstore.store.WriteResult;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The store in cluster mode: one member of a Raft group ({@link ClusterNode}) whose state is the engine's
 * {@link ReplicaStore}.
 * <p>
 * A write is checked against this node's limits, encoded ({@link CommandCodec}) and proposed through the group; it
 * returns once the command is committed (forced on a majority) and applied, with the result the state machine
 * decided, the same on every replica. Reads answer from this replica's state: after {@link #readBarrier()} they
 * reflect every write acknowledged before the barrier began (linearizable); without it they may be stale.
 * <p>
 * Leases are granted, revoked and expired through the log like any write; their deadlines are the leader's soft
 * state ({@link ReplicaStore#lead}), so keepalives and a lease's remaining time are asked of the leader
 * ({@link LeaseQueries}), which answers only after confirming that it still leads. Idempotency records are in the
 * log too: a repeat on any node, after any failover, finds the first request's record once it is applied, and the
 * apply step itself answers a repeat that was proposed before the record was there, so a command is applied once.
 */
public final class ReplicatedKeyValueStore implements KeyValueStore, AutoCloseable {

    private final ReplicaStore replica;
    private final ClusterNode node;
    private final StoreObserver observer;
    /** Idempotency keys whose first request this node is proposing, with its fingerprint. */
    private final Map<IdempotencyKey, Command.Fingerprint> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong replays = new AtomicLong();

    private record IdempotencyKey(String scope, String key) {
    }

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
        EngineState state = new EngineState(replica);
        ClusterNode node;
        try {
            node = ClusterNode.start(config, state);
        } catch (IOException | RuntimeException e) {
            replica.close();
            throw e;
        }
        state.proposeThrough(node.client());
        return new ReplicatedKeyValueStore(replica, node, options.observer());
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

    /** A put, delete, increment, batch, or a lease's grant or revocation. */
    @Override
    public CommandResult execute(Command command) {
        if (command instanceof Command.Idempotent) {
            throw new IllegalArgumentException("an idempotent command goes through idempotent()");
        }
        return propose(StoreObserver.Operation.of(command), command);
    }

    /**
     * As {@link dev.kvstore.store.WalKeyValueStore#idempotent}: this replica's record answers a repeat at once;
     * otherwise the command is proposed with its record, and the apply step decides, on every replica, whether it
     * is the first (applied and recorded) or a repeat (answered from the record, nothing applied). A repeat while
     * the first is being proposed from this node is {@code IN_FLIGHT}; from another node, it is simply decided
     * second. The record's time is this node's wall clock, read here, before proposing.
     */
    @Override
    public IdempotentResult idempotent(String scope, String key, Command.Fingerprint fingerprint, Command command) {
        StoreObserver.Operation operation = StoreObserver.Operation.of(command);
        IdempotencyKey id = new IdempotencyKey(scope, key);
        Command.Fingerprint running = inFlight.putIfAbsent(id, fingerprint);
        if (running != null) {
            observer.onOperation(operation, "idempotent_in_flight");
            return new IdempotentResult(running.equals(fingerprint) ? IdempotentResult.Status.IN_FLIGHT
                    : IdempotentResult.Status.MISMATCH, null);
        }
        try {
            IdempotentResult known = replica.recorded(scope, key, fingerprint);
            IdempotentResult result = known != null ? known : (IdempotentResult) propose(operation,
                    new Command.Idempotent(scope, key, fingerprint, System.currentTimeMillis(), command));
            if (known != null) {
                observer.onOperation(operation, "idempotent_" + known.status().name().toLowerCase(Locale.ROOT));
            }
            if (result.status() == IdempotentResult.Status.REPLAYED) {
                replays.incrementAndGet();
            }
            return result;
        } finally {
            inFlight.remove(id, fingerprint);
        }
    }

    @Override
    public LeaseResult grantLease(Duration ttl) {
        return (LeaseResult) propose(StoreObserver.Operation.LEASE, new Command.GrantLease(ttl.toMillis()));
    }

    /**
     * Asks the leader, which renews the deadline after confirming that it still leads (a leader elected later
     * starts every deadline afresh from its election, which comes after this keepalive arrived).
     *
     * @throws ClusterUnavailableException when no leader confirmed in time
     */
    @Override
    public long keepLeaseAlive(long id) {
        return LeaseQueries.keepAliveAnswer(node.client().leaderQuery(LeaseQueries.keepAlive(id)));
    }

    @Override
    public LeaseResult revokeLease(long id, String keyPrefix) {
        return (LeaseResult) propose(StoreObserver.Operation.LEASE, new Command.RevokeLease(id, false, keyPrefix));
    }

    /** The lease as the leader sees it (its deadline, and its state after every write acknowledged before). */
    @Override
    public Lease lease(long id) {
        return LeaseQueries.leaseAnswer(id, node.client().leaderQuery(LeaseQueries.lease(id)));
    }

    /** This node's view: the leases of its replica, and the expiry it runs when it leads. */
    @Override
    public LeaseStatus leaseStatus() {
        return replica.leaseStatus();
    }

    @Override
    public IdempotencyStatus idempotencyStatus() {
        return replica.idempotencyStatus(replays.get());
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
        if (result instanceof LeaseResult l) {
            return l.outcome().name().toLowerCase(Locale.ROOT);
        }
        if (result instanceof IdempotentResult i) {
            return i.status() == IdempotentResult.Status.APPLIED ? outcome(i.result())
                    : "idempotent_" + i.status().name().toLowerCase(Locale.ROOT);
        }
        WriteOutcome o = ((WriteResult) result).outcome();
        return o.name().toLowerCase(Locale.ROOT);
    }

    /** Stops this node's Raft server; the state in memory goes with it (the Raft log and snapshots hold it). */
    @Override
    public void close() {
        try {
            node.close();
        } finally {
            replica.close();
        }
    }
}
