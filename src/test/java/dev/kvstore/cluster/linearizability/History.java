package dev.kvstore.cluster.linearizability;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Records what clients did, from any number of threads: call {@code read}, {@code write} or {@code compareAndSet}
 * just before sending a request, then exactly one of the pending operation's methods once the answer is known.
 * <p>
 * A request whose answer never came (timeout, 503, connection reset after sending) is {@link Pending#unknown()}:
 * it may take effect at any time after it was invoked, or never. A request refused before it could have reached
 * the store is {@link Pending#notApplied()} and leaves no trace. Operations still pending when
 * {@link #operations()} is called count as unknown.
 */
public final class History {

    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, Operation> done = new ConcurrentHashMap<>();
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();

    public Pending read(String client, String key) {
        return begin(client, key, Operation.Kind.READ, null, null);
    }

    /** A write of {@code value}; null deletes the key. */
    public Pending write(String client, String key, String value) {
        return begin(client, key, Operation.Kind.WRITE, value, null);
    }

    /** Sets {@code value} if the key holds {@code expected} (null: if it is absent). */
    public Pending compareAndSet(String client, String key, String expected, String value) {
        return begin(client, key, Operation.Kind.CAS, value, expected);
    }

    private Pending begin(String client, String key, Operation.Kind kind, String value, String expected) {
        final Pending p = new Pending(ids.getAndIncrement(), client, key, kind, value, expected, System.nanoTime());
        pending.put(p.id, p);
        return p;
    }

    /** Every operation, completed ones with their answers and the rest as unknown, in order of invocation. */
    public List<Operation> operations() {
        final List<Operation> all = new ArrayList<>(done.values());
        for (Pending p : pending.values()) {
            if (p.kind == Operation.Kind.READ) {
                continue; // a read without an answer constrains nothing
            }
            all.add(p.operation(Long.MAX_VALUE, Operation.Outcome.UNKNOWN, null, false));
        }
        all.sort(Comparator.comparingLong(Operation::invoked).thenComparingLong(Operation::id));
        return all;
    }

    /** An operation sent and not yet answered. */
    public final class Pending {
        private final long id;
        private final String client;
        private final String key;
        private final Operation.Kind kind;
        private final String value;
        private final String expected;
        private final long invoked;

        private Pending(long id, String client, String key, Operation.Kind kind, String value, String expected,
                        long invoked) {
            this.id = id;
            this.client = client;
            this.key = key;
            this.kind = kind;
            this.value = value;
            this.expected = expected;
            this.invoked = invoked;
        }

        /** A read answered with {@code observed} (null: absent). */
        public void readOk(String observed) {
            require(Operation.Kind.READ);
            complete(Operation.Outcome.OK, observed, false);
        }

        public void writeOk() {
            require(Operation.Kind.WRITE);
            complete(Operation.Outcome.OK, null, false);
        }

        public void casOk(boolean succeeded) {
            require(Operation.Kind.CAS);
            complete(Operation.Outcome.OK, null, succeeded);
        }

        /** No answer: it may have taken effect, now or later, or not at all. A read with no answer is dropped. */
        public void unknown() {
            if (pending.remove(id) != null && kind != Operation.Kind.READ) {
                done.put(id, operation(Long.MAX_VALUE, Operation.Outcome.UNKNOWN, null, false));
            }
        }

        /** Refused before it could reach the store: it never takes effect, so it is left out. */
        public void notApplied() {
            pending.remove(id);
        }

        private void complete(Operation.Outcome outcome, String observed, boolean succeeded) {
            final long completed = System.nanoTime();
            if (pending.remove(id) == null) {
                throw new IllegalStateException("operation " + id + " was already completed");
            }
            done.put(id, operation(completed, outcome, observed, succeeded));
        }

        private void require(Operation.Kind k) {
            if (kind != k) {
                throw new IllegalStateException("operation " + id + " is a " + kind + ", not a " + k);
            }
        }

        private Operation operation(long completed, Operation.Outcome outcome, String observed, boolean succeeded) {
            return new Operation(id, client, key, kind, value, expected, invoked, completed, outcome, observed,
                    succeeded);
        }
    }
}
