package dev.kvstore.cluster;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Proposes the writes that a node's request threads make at the same time as one Raft entry ({@link CommandBatch}),
 * so that a burst of writes costs one client call, one log entry, one replication and one apply step rather than
 * one of each per write. Each write is still acknowledged only once the entry that carries it is committed and
 * applied, with its own result.
 * <p>
 * No thread of its own: a caller that finds fewer than {@code maxInFlight} entries in flight takes everything queued
 * (up to the entry size limit), its own command included, and sends it on its own thread. When an entry is done, its
 * sender takes what queued meanwhile as the next entry and hands it to the thread of that entry's first write, which
 * sends it; every other writer sleeps until its result is there. So each waiting writer is woken once (they used to
 * be woken all at once whenever an entry was done), and no writer's answer waits for an entry sent after it. Limiting
 * the entries in flight is what makes writes gather while the group is busy.
 */
final class WriteBatcher {

    /** Proposes one entry to the group. */
    interface Sender {
        /**
         * @param deadline {@link System#nanoTime()} past which no new attempt starts (there is always one)
         * @return the reply's bytes once the entry is applied; throws otherwise ({@link ClusterUnavailableException}
         *         when its outcome is unknown)
         */
        byte[] send(byte[] entry, long deadline);
    }

    private final Sender send;
    private final int maxEntryBytes;
    private final int maxInFlight;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private int inFlight;

    private static final class Pending {
        final byte[] command;
        /** When this write's operation timeout ends, in {@link System#nanoTime()}. */
        final long deadline;
        /**
         * Completed at most once: with this write's result or failure, or, when an entry was taken with this write
         * first, with that entry (a {@code List<Pending>}) for this write's thread to send, which then has its
         * result from sending it.
         */
        final CompletableFuture<Object> event = new CompletableFuture<>();
        /** Guarded by the batcher: set once the write is in an entry. */
        boolean taken;

        Pending(byte[] command, long deadline) {
            this.command = command;
            this.deadline = deadline;
        }
    }

    /**
     * @param maxInFlight entries proposed at the same time, at most
     */
    WriteBatcher(Sender send, int maxEntryBytes, int maxInFlight) {
        this.send = send;
        this.maxEntryBytes = maxEntryBytes;
        this.maxInFlight = maxInFlight;
    }

    /**
     * Proposes {@code command} (with whatever else is queued) and returns its result.
     *
     * @param deadline {@link System#nanoTime()} when the write's operation timeout ends: past it, a write not yet
     *                 taken into an entry is dropped unproposed and this throws {@link ClusterUnavailableException};
     *                 an entry is proposed until its oldest write's deadline (plus at most one attempt), not for a
     *                 whole operation timeout from when it was taken
     */
    byte[] write(byte[] command, long deadline) {
        final Pending own = new Pending(command, deadline);
        List<Pending> entry = null;
        synchronized (this) {
            queue.add(own);
            if (inFlight < maxInFlight) {
                entry = take();
            }
        }
        while (entry == null || !entry.contains(own)) {
            if (entry != null) {
                // Taken when the queue held more than one entry's worth: sent for the others, own still queued.
                propose(entry, null);
            }
            final Object event = await(own, deadline);
            if (!(event instanceof List<?>)) {
                return (byte[]) event;
            }
            @SuppressWarnings("unchecked")
            final List<Pending> handed = (List<Pending>) event;
            entry = handed;
        }
        return propose(entry, own);
    }

    /** The queued writes that fit one entry, in their order; counts that entry in flight. */
    private List<Pending> take() {
        final List<Pending> entry = new ArrayList<>();
        int bytes = CommandBatch.HEADER_BYTES;
        while (!queue.isEmpty()) {
            final int size = CommandBatch.ITEM_OVERHEAD + queue.peek().command.length;
            if (!entry.isEmpty() && bytes + size > maxEntryBytes) {
                break;
            }
            final Pending next = queue.poll();
            next.taken = true;
            entry.add(next);
            bytes += size;
        }
        inFlight++;
        return entry;
    }

    /** Waits for {@code own}'s event; gives up, dropping the write, if it was not taken by the deadline. */
    private Object await(Pending own, long deadline) {
        try {
            return own.event.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            dropIfNotTaken(own, "write not proposed: " + maxInFlight + " entries of this node stayed in flight until"
                    + " the operation timeout", null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            dropIfNotTaken(own, "write interrupted before it was proposed", e);
        } catch (ExecutionException e) {
            throw failure(e.getCause());
        }
        // Taken: it is in an entry on its way, whose outcome this caller must have.
        try {
            return own.event.join();
        } catch (CompletionException e) {
            throw failure(e.getCause());
        }
    }

    /** What a write's caller gets when its entry failed: the entry's exception, an {@link Error} wrapped. */
    private static RuntimeException failure(Throwable cause) {
        return cause instanceof RuntimeException r ? r : new CompletionException(cause);
    }

    private synchronized void dropIfNotTaken(Pending own, String message, Exception cause) {
        if (!own.taken) {
            queue.remove(own);
            throw new ClusterUnavailableException(message, cause);
        }
    }

    /**
     * Sends {@code entry} and hands every write in it its result, except {@code own} (this thread's, null if not in
     * it), whose result this returns or whose failure this throws.
     */
    private byte[] propose(List<Pending> entry, Pending own) {
        try {
            final List<byte[]> commands = new ArrayList<>(entry.size());
            long deadline = Long.MAX_VALUE;
            for (Pending p : entry) {
                commands.add(p.command);
                deadline = Math.min(deadline, p.deadline);
            }
            final List<byte[]> results = CommandBatch.decode(send.send(CommandBatch.encode(commands), deadline));
            if (results.size() != entry.size()) {
                throw new IllegalStateException("the replicas answered " + results.size() + " results to a batch of "
                        + entry.size() + " commands: they could not decode the entry this node encoded");
            }
            byte[] ownResult = null;
            for (int i = 0; i < entry.size(); i++) {
                if (entry.get(i) == own) {
                    ownResult = results.get(i);
                } else {
                    entry.get(i).event.complete(results.get(i));
                }
            }
            return ownResult;
        } catch (RuntimeException | Error e) {
            // Every caller in the entry waits for its result: none may be left waiting, whatever failed.
            entry.forEach(p -> {
                if (p != own) {
                    p.event.completeExceptionally(e);
                }
            });
            if (own != null || e instanceof Error) {
                throw e;
            }
            return null;
        } finally {
            handOver();
        }
    }

    /** Frees this entry's slot; what queued meanwhile becomes the next entry, sent by its first write's thread. */
    private void handOver() {
        final List<Pending> next;
        synchronized (this) {
            inFlight--;
            next = queue.isEmpty() ? null : take();
        }
        if (next != null) {
            next.get(0).event.complete(next);
        }
    }
}
