package dev.kvstore.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * The leader's half of a linearizable read (Raft's ReadIndex, thesis 6.4): before a read index is handed out, a
 * majority of the voting members confirm, <em>after the read was asked for</em>, that they are still in this leader's
 * term. Then no newer leader can have committed anything yet: it would have needed a majority in a newer term, and
 * terms never go back.
 * <p>
 * Ratis 3.3.0's own ReadIndex skips the confirmation when the commit index has not moved since an earlier confirmed
 * round ({@code ReadIndexHeartbeats.addAppendEntriesListener} returns at once for a commit index at or below the
 * acknowledged one), so a leader cut off from the others serves stale reads until it steps down, while the others may
 * already have elected a leader and committed writes (found by {@code ClusterPartitionIT}; {@code StaleLeaderReadTest}
 * shows it in one JVM). This check replaces it.
 * <p>
 * Each member is asked for its current term with a stale read answered by its state machine
 * ({@link StateMachineAdapter#TERM}), in parallel. Rounds run one at a time; a caller that arrives while one runs
 * waits for the next one, which starts after it arrived. A round fails when no majority answered in time or a member
 * is in a newer term.
 */
final class LeadershipCheck implements AutoCloseable {

    static final Message TERM_QUERY = Message.valueOf(ByteString.copyFrom(new byte[] {StateMachineAdapter.TERM}));

    private final RaftServer.Division division;
    private final RaftClient client;
    private final Duration timeout;
    /**
     * Asks the members, with the blocking API: Ratis's asynchronous stale reads share one ordered window per client,
     * which closes for good towards a member once one request to it failed.
     */
    private final ExecutorService askers = Executors.newCachedThreadPool(r -> {
        final Thread t = new Thread(r, "kv-leadership-check");
        t.setDaemon(true);
        return t;
    });
    private boolean running;
    private CompletableFuture<Long> next;
    private long peersOfConf = Long.MIN_VALUE;

    /** @param client sends the term queries: one attempt each, bounded by {@code timeout} */
    LeadershipCheck(RaftServer.Division division, RaftClient client, Duration timeout) {
        this.division = division;
        this.client = client;
        this.timeout = timeout;
    }

    /**
     * Completes, with the term it confirmed, once a round that started after this call confirmed that this node leads
     * in that term; fails otherwise. A caller compares the term with the one it saw when it took its read index.
     */
    CompletableFuture<Long> confirm() {
        final CompletableFuture<Long> round;
        synchronized (this) {
            if (running) {
                if (next == null) {
                    next = new CompletableFuture<>();
                }
                return next;
            }
            running = true;
            round = new CompletableFuture<>();
        }
        start(round);
        return round;
    }

    private void start(CompletableFuture<Long> round) {
        round.whenComplete((ok, error) -> startNext());
        try {
            run(round);
        } catch (RuntimeException e) {
            round.completeExceptionally(e);
        }
    }

    private void startNext() {
        final CompletableFuture<Long> waiting;
        synchronized (this) {
            waiting = next;
            next = null;
            if (waiting == null) {
                running = false;
                return;
            }
        }
        start(waiting);
    }

    private void run(CompletableFuture<Long> round) {
        final long term = division.getInfo().getCurrentTerm();
        if (!division.getInfo().isLeader()) {
            round.completeExceptionally(new NotLeaderException(division.getMemberId(), null, List.of()));
            return;
        }
        final RaftConfiguration conf = division.getRaftConf();
        final Collection<RaftPeer> current = conf.getCurrentPeers();
        final Collection<RaftPeer> previous = conf.getPreviousPeers();
        addPeers(conf);
        final RaftPeerId self = division.getId();
        final Set<RaftPeerId> confirmed = new HashSet<>();
        confirmed.add(self);
        if (hasMajority(current, confirmed) && (previous.isEmpty() || hasMajority(previous, confirmed))) {
            round.complete(term);
            return;
        }
        final Set<RaftPeerId> asked = new HashSet<>();
        current.forEach(p -> asked.add(p.getId()));
        previous.forEach(p -> asked.add(p.getId()));
        asked.remove(self);
        for (RaftPeerId peer : asked) {
            ask(peer).whenComplete((reply, error) -> {
                final long theirs = error != null ? -1 : termOf(reply);
                synchronized (confirmed) {
                    if (round.isDone()) {
                        return;
                    }
                    if (theirs > term) {
                        round.completeExceptionally(new NotLeaderException(division.getMemberId(), null,
                                List.of()));
                    } else if (theirs == term) {
                        confirmed.add(peer);
                        if (hasMajority(current, confirmed)
                                && (previous.isEmpty() || hasMajority(previous, confirmed))) {
                            round.complete(term);
                        }
                    }
                }
            });
        }
        round.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private CompletableFuture<RaftClientReply> ask(RaftPeerId peer) {
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return client.io().sendStaleRead(TERM_QUERY, 0, peer);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, askers);
        } catch (RejectedExecutionException closed) {
            return CompletableFuture.failedFuture(closed);
        }
    }

    @Override
    public void close() {
        askers.shutdownNow();
    }

    /** The client reaches members added since it was built. */
    private void addPeers(RaftConfiguration conf) {
        if (conf.getLogEntryIndex() != peersOfConf) {
            client.getClientRpc().addRaftPeers(conf.getAllPeers());
            peersOfConf = conf.getLogEntryIndex();
        }
    }

    private static boolean hasMajority(Collection<RaftPeer> voters, Set<RaftPeerId> confirmed) {
        final long yes = voters.stream().filter(p -> confirmed.contains(p.getId())).count();
        return 2 * yes > voters.size();
    }

    private static long termOf(RaftClientReply reply) {
        if (reply == null || !reply.isSuccess()) {
            return -1;
        }
        try {
            return Long.parseLong(reply.getMessage().getContent().toString(StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
