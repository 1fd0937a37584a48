package dev.kvstore.cluster;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.UnaryOperator;

/**
 * Proposes the writes that a node's request threads make at the same time as one Raft entry ({@link CommandBatch}),
 * so that a burst of writes costs one client call, one log entry, one replication and one apply step rather than
 * one of each per write. Each write is still acknowledged only once the entry that carries it is committed and
 * applied, with its own result.
 * <p>
 * No thread of its own: a caller that finds fewer than {@code maxInFlight} entries in flight sends everything queued
 * then (up to the entry size limit), its own command included, on its own thread; the others wait for the entry that
 * took theirs. Limiting the entries in flight is what makes writes gather while the group is busy.
 */
final class WriteBatcher {

    private final UnaryOperator<byte[]> send;
    private final int maxEntryBytes;
    private final int maxInFlight;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private int inFlight;

    private static final class Pending {
        final byte[] command;
        final CompletableFuture<byte[]> result = new CompletableFuture<>();
        boolean taken;

        Pending(byte[] command) {
            this.command = command;
        }
    }

    /**
     * @param send        proposes one entry and returns the reply's bytes once it is applied, or throws
     *                    ({@link ClusterUnavailableException} when its outcome is unknown)
     * @param maxInFlight entries proposed at the same time, at most
     */
    WriteBatcher(UnaryOperator<byte[]> send, int maxEntryBytes, int maxInFlight) {
        this.send = send;
        this.maxEntryBytes = maxEntryBytes;
        this.maxInFlight = maxInFlight;
    }

    /**
     * Proposes {@code command} (with whatever else is queued) and returns its result.
     *
     * @param deadline {@link System#nanoTime()} by which the command must have been taken into an entry; past it, it
     *                 is dropped unproposed and this throws {@link ClusterUnavailableException}
     */
    byte[] write(byte[] command, long deadline) {
        final Pending own = new Pending(command);
        synchronized (this) {
            queue.add(own);
        }
        while (true) {
            final List<Pending> batch = takeBatch(own, deadline);
            if (batch == null) {
                break;
            }
            propose(batch);
        }
        try {
            return own.result.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** The next batch for this thread to send, or null once {@code own} was taken (by this thread or another). */
    private synchronized List<Pending> takeBatch(Pending own, long deadline) {
        while (!own.taken && inFlight >= maxInFlight) {
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                queue.remove(own);
                throw new ClusterUnavailableException("write not proposed: " + maxInFlight + " entries of this node"
                        + " stayed in flight until the operation timeout", null);
            }
            try {
                wait(left / 1_000_000, (int) (left % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                queue.remove(own);
                throw new ClusterUnavailableException("write interrupted before it was proposed", e);
            }
        }
        if (own.taken) {
            return null;
        }
        final List<Pending> batch = new ArrayList<>();
        int bytes = CommandBatch.HEADER_BYTES;
        while (!queue.isEmpty()) {
            final int size = CommandBatch.ITEM_OVERHEAD + queue.peek().command.length;
            if (!batch.isEmpty() && bytes + size > maxEntryBytes) {
                break;
            }
            final Pending next = queue.poll();
            next.taken = true;
            batch.add(next);
            bytes += size;
        }
        inFlight++;
        return batch;
    }

    private void propose(List<Pending> batch) {
        try {
            final List<byte[]> commands = new ArrayList<>(batch.size());
            batch.forEach(p -> commands.add(p.command));
            final List<byte[]> results = CommandBatch.decode(send.apply(CommandBatch.encode(commands)));
            if (results.size() != batch.size()) {
                throw new IllegalStateException("the replicas answered " + results.size() + " results to a batch of "
                        + batch.size() + " commands: they could not decode the entry this node encoded");
            }
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result.complete(results.get(i));
            }
        } catch (RuntimeException | Error e) {
            // Every caller in the batch waits for its result: none may be left waiting, whatever failed.
            batch.forEach(p -> p.result.completeExceptionally(e));
            if (e instanceof Error error) {
                throw error;
            }
        } finally {
            synchronized (this) {
                inFlight--;
                notifyAll();
            }
        }
    }
}
