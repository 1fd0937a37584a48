package dev.kvstore.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongUnaryOperator;

/**
 * Shares one read index from the leader among the linearizable reads that a node's request threads make at the same
 * time: one request to the leader is in flight at a time, and the callers that arrive meanwhile share the next one,
 * which is sent after they all arrived. A read index obtained by a request sent after a read began covers every
 * write acknowledged before it began ({@link ClusterClient#readBarrier}), so sharing it keeps each read
 * linearizable, and a burst of reads costs one leader round instead of one each.
 * <p>
 * No thread of its own: a caller that finds no request in flight sends the next one on its own thread.
 */
final class ReadIndexRounds {

    private final LongUnaryOperator fetch;
    private boolean running;
    private Round next;

    private static final class Round {
        final CompletableFuture<Long> index = new CompletableFuture<>();
        boolean started;
    }

    /** @param fetch asks the leader for a read index, retrying until the given {@link System#nanoTime()} deadline */
    ReadIndexRounds(LongUnaryOperator fetch) {
        this.fetch = fetch;
    }

    /**
     * A read index from a request to the leader sent after this call began.
     *
     * @throws ClusterUnavailableException when none came by {@code deadline} ({@link System#nanoTime()})
     */
    long readIndex(long deadline) {
        final Turn turn = join(deadline);
        final Round round = turn.round();
        if (turn.runs()) {
            run(round, deadline);
        }
        try {
            return round.index.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new ClusterUnavailableException("read barrier failed: no read index from the leader in time", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterUnavailableException("read barrier interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r
                    : new ClusterUnavailableException("read barrier failed: " + e.getCause(), e.getCause());
        }
    }

    /** The round a caller shares, and whether it is the one that sends its request. */
    private record Turn(Round round, boolean runs) {
    }

    /**
     * The round this caller shares: a new one it starts when none is in flight; otherwise the next one, which it
     * waits to see started (by itself, when the one in flight ended and nobody started the next yet).
     */
    private synchronized Turn join(long deadline) {
        if (!running) {
            return start(next != null ? next : new Round());
        }
        if (next == null) {
            next = new Round();
        }
        final Round round = next;
        while (running && !round.started) {
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new ClusterUnavailableException("read barrier failed: the leader's read index requests of this"
                        + " node stayed in flight until the operation timeout", null);
            }
            try {
                wait(left / 1_000_000, (int) (left % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClusterUnavailableException("read barrier interrupted", e);
            }
        }
        return round.started ? new Turn(round, false) : start(round);
    }

    private Turn start(Round round) {
        if (next == round) {
            next = null;
        }
        round.started = true;
        running = true;
        return new Turn(round, true);
    }

    private void run(Round round, long deadline) {
        try {
            round.index.complete(fetch.applyAsLong(deadline));
        } catch (RuntimeException | Error e) {
            round.index.completeExceptionally(e);
            if (e instanceof Error error) {
                throw error;
            }
        } finally {
            synchronized (this) {
                running = false;
                notifyAll();
            }
        }
    }
}
