package dev.kvstore.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kvstore.cluster.ClusterConfig;
import dev.kvstore.cluster.ClusterMember;
import dev.kvstore.cluster.ClusterStatus;
import dev.kvstore.cluster.ClusterUnavailableException;
import dev.kvstore.store.Command;
import dev.kvstore.store.Entry;
import dev.kvstore.store.IdempotentResult;
import dev.kvstore.store.KeyLease;
import dev.kvstore.store.LeaseOutcome;
import dev.kvstore.store.LeaseResult;
import dev.kvstore.store.Precondition;
import dev.kvstore.store.StoreOptions;
import dev.kvstore.store.Value;
import dev.kvstore.store.WriteResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leases and idempotency keys on three real Ratis nodes in this JVM, each with the engine's replica, across a leader
 * change: a lease kept alive through any node never expires, not even while the leader is gone and after a new one
 * takes over; a lease left alone is kept at least its time to live and expires once the new leader's whole time to
 * live has passed (its deadlines restart at its election); an idempotent increment retried on the new leader, and
 * one proposed from two nodes at once, is applied exactly once; every replica ends in the same state.
 */
class ClusterLeaseTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long TTL_MILLIS = 3000;
    private static final long KEEPALIVE_EVERY_MILLIS = 400;
    /** What the expiry may be late by, on a loaded machine: the bound in steady state is one second. */
    private static final long LATENESS_MILLIS = 2000;

    @TempDir
    Path dir;

    private final List<ClusterMember> members = new ArrayList<>();
    private final Map<String, ReplicatedKeyValueStore> nodes = new ConcurrentSkipListMap<>();

    @Test
    void leasesAndIdempotencyKeysSurviveALeaderChange() throws Exception {
        ReplicaNodes.quietRatis();
        for (int i = 1; i <= 3; i++) {
            members.add(new ClusterMember("n" + i, "127.0.0.1:" + ReplicaNodes.freePort()));
        }
        try {
            for (ClusterMember m : members) {
                start(m.id());
            }
            String leader = awaitExpiringLeader(null);
            String follower = other(leader, null);

            // Granted and attached through a follower (forwarded to the leader), as clients do.
            long kept = grant(nodes.get(follower));
            long abandoned = grant(nodes.get(follower));
            long grantedAt = System.nanoTime();
            put(nodes.get(follower), "kept", kept);
            put(nodes.get(follower), "abandoned", abandoned);

            // An idempotent increment sent to the leader, whose answer the client never sees: the leader goes.
            Command.Fingerprint fp = new Command.Fingerprint(17, 42);
            IdempotentResult first = nodes.get(leader).idempotent("alice", "inc-1", fp, increment());
            assertThat(first.status()).isEqualTo(IdempotentResult.Status.APPLIED);
            long firstRevision = ((WriteResult) first.result()).revision();

            KeepAlive keeper = new KeepAlive(kept);
            keeper.start();
            try {
                long stopping = System.nanoTime();
                stop(leader);
                String newLeader = awaitExpiringLeader(leader);
                long newLeaderSeen = System.nanoTime();
                System.out.printf("ClusterLeaseTest: %s took over from %s %d ms after it stopped%n", newLeader,
                        leader, TimeUnit.NANOSECONDS.toMillis(newLeaderSeen - stopping));

                // The retry on the new leader replays the first answer and applies nothing.
                IdempotentResult retried = nodes.get(newLeader).idempotent("alice", "inc-1", fp, increment());
                assertThat(retried.status()).isEqualTo(IdempotentResult.Status.REPLAYED);
                assertThat(((WriteResult) retried.result()).revision()).isEqualTo(firstRevision);
                nodes.get(newLeader).readBarrier();
                assertThat(nodes.get(newLeader).get("counter").value()).isEqualTo(Value.of(1L));

                // Never early: present whenever read before its time to live passed since the grant was sent.
                // (A read's answer holds as of some moment before it returned: judged by that moment.)
                ReplicatedKeyValueStore reader = nodes.get(other(newLeader, leader));
                long early = grantedAt + TimeUnit.MILLISECONDS.toNanos(TTL_MILLIS) - 200_000_000L;
                int readsBeforeTtl = 0;
                while (System.nanoTime() - early < 0) {
                    reader.readBarrier();
                    Entry e = reader.get("abandoned");
                    if (System.nanoTime() - early < 0) {
                        assertThat(e).as("the lease left alone, before its TTL").isNotNull();
                        readsBeforeTtl++;
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                }
                System.out.printf("ClusterLeaseTest: %d reads before the TTL found the abandoned key%n",
                        readsBeforeTtl);
                // On time: gone once the new leader's whole time to live has passed, plus the lateness.
                long bound = newLeaderSeen + TimeUnit.MILLISECONDS.toNanos(TTL_MILLIS + LATENESS_MILLIS);
                await("the abandoned lease expired").atMost(WAIT).pollInterval(Duration.ofMillis(20))
                        .until(() -> {
                            reader.readBarrier();
                            return reader.get("abandoned") == null;
                        });
                long goneAt = System.nanoTime();
                System.out.printf("ClusterLeaseTest: the abandoned lease's key was gone %d ms after the new leader"
                        + " was seen (TTL %d ms)%n", TimeUnit.NANOSECONDS.toMillis(goneAt - newLeaderSeen),
                        TTL_MILLIS);
                assertThat(goneAt).as("gone within TTL + %d ms of the new leader", LATENESS_MILLIS)
                        .isLessThanOrEqualTo(bound);
                assertThat(nodes.get(newLeader).lease(abandoned)).isNull();
                assertThat(nodes.get(newLeader).keepLeaseAlive(abandoned)).isEqualTo(-1);

                // The kept lease goes on for another two times its TTL with the new leader.
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2 * TTL_MILLIS);
                await("two more TTLs of keepalives").atMost(WAIT).pollInterval(Duration.ofMillis(50))
                        .until(() -> System.nanoTime() - until >= 0 || keeper.failure.get() != null);
            } finally {
                keeper.stop();
            }
            assertThat(keeper.failure.get()).as("a keepalive answered that the lease was gone, or its key was")
                    .isNull();
            assertThat(keeper.renewed.get()).as("keepalives that renewed").isGreaterThan(10);
            System.out.printf("ClusterLeaseTest: %d keepalives renewed, %d found no leader in time, worst gap"
                    + " between renewals %d ms%n", keeper.renewed.get(), keeper.unavailable.get(),
                    keeper.worstGapMillis.get());
            String newLeader = awaitExpiringLeader(leader);
            assertThat(nodes.get(newLeader).lease(kept).keys()).containsExactly("kept");
            assertThat(nodes.get(newLeader).leaseStatus().expiryRunning()).isTrue();
            assertThat(nodes.get(other(newLeader, leader)).leaseStatus().expiryStarted())
                    .as("a follower runs no expiry").isFalse();

            concurrentRepeatsApplyOnce(newLeader, other(newLeader, leader));

            // The old leader comes back as a follower and catches up: every replica holds the same state.
            start(leader);
            ReplicaNodes.awaitConverged(nodes.values(), WAIT);
            // (Nobody keeps the kept lease alive any more: it may have expired meanwhile, alike everywhere.)
            ReplicatedKeyValueStore any = nodes.get(newLeader);
            for (ReplicatedKeyValueStore n : nodes.values()) {
                assertThat(n.get("abandoned")).isNull();
                assertThat(n.get("kept")).isEqualTo(any.get("kept"));
                assertThat(n.get("counter").value()).isEqualTo(Value.of(1L));
                assertThat(n.get("twice")).isEqualTo(any.get("twice"));
                assertThat(n.leaseStatus().leases()).isEqualTo(any.leaseStatus().leases());
                assertThat(n.replica().revision()).isEqualTo(any.replica().revision());
                assertThat(n.replica().recorded("alice", "inc-1", fp).status())
                        .isEqualTo(IdempotentResult.Status.REPLAYED);
            }
        } finally {
            for (String id : List.copyOf(nodes.keySet())) {
                stop(id);
            }
        }
    }

    /** The same idempotent increments proposed from two nodes at once: one applies, the other replays. */
    private void concurrentRepeatsApplyOnce(String a, String b) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            int rounds = 20;
            int applied = 0;
            for (int i = 0; i < rounds; i++) {
                String key = "twice-" + i;
                Command.Fingerprint fp = new Command.Fingerprint(i, i);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<IdempotentResult>> both = new ArrayList<>();
                for (String id : List.of(a, b)) {
                    both.add(pool.submit(() -> {
                        go.await();
                        return nodes.get(id).idempotent("bob", key, fp, new Command.Increment("twice", Value.of(1L),
                                Precondition.NONE));
                    }));
                }
                go.countDown();
                List<IdempotentResult.Status> statuses = new ArrayList<>();
                for (Future<IdempotentResult> f : both) {
                    statuses.add(f.get(WAIT.toSeconds(), TimeUnit.SECONDS).status());
                }
                assertThat(statuses).as("round %d", i).containsOnlyOnce(IdempotentResult.Status.APPLIED)
                        .containsOnly(IdempotentResult.Status.APPLIED, IdempotentResult.Status.REPLAYED);
                applied++;
            }
            nodes.get(a).readBarrier();
            assertThat(nodes.get(a).get("twice").value()).isEqualTo(Value.of((long) applied));
        } finally {
            pool.shutdownNow();
        }
    }

    /** Keeps a lease alive through every running node in turn; records any sign that it was lost. */
    private final class KeepAlive {
        final long lease;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger renewed = new AtomicInteger();
        final AtomicInteger unavailable = new AtomicInteger();
        final AtomicLong worstGapMillis = new AtomicLong();
        final java.util.concurrent.atomic.AtomicReference<String> failure =
                new java.util.concurrent.atomic.AtomicReference<>();
        private Thread thread;

        KeepAlive(long lease) {
            this.lease = lease;
        }

        void start() {
            thread = new Thread(this::run, "keepalive");
            thread.start();
        }

        private void run() {
            long last = System.nanoTime();
            for (int i = 0; !stop.get(); i++) {
                List<ReplicatedKeyValueStore> running = List.copyOf(nodes.values());
                ReplicatedKeyValueStore via = running.get(i % running.size());
                try {
                    long ttl = via.keepLeaseAlive(lease);
                    if (ttl != TTL_MILLIS) {
                        failure.compareAndSet(null, "keepalive " + i + " answered " + ttl);
                        return;
                    }
                    long now = System.nanoTime();
                    worstGapMillis.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(now - last), Math::max);
                    last = now;
                    renewed.incrementAndGet();
                    via.readBarrier();
                    Entry e = via.get("kept");
                    if (e == null || e.lease() != lease) {
                        failure.compareAndSet(null, "the key of the kept lease was " + e + " after keepalive " + i);
                        return;
                    }
                } catch (ClusterUnavailableException e) {
                    unavailable.incrementAndGet(); // no leader in time (the election): not a loss, try again
                } catch (RuntimeException e) {
                    // The node it went through was being stopped.
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(KEEPALIVE_EVERY_MILLIS));
            }
        }

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join(WAIT.toMillis());
        }
    }

    private static Command increment() {
        return new Command.Increment("counter", Value.of(1L), Precondition.NONE);
    }

    private static long grant(ReplicatedKeyValueStore via) {
        LeaseResult r = via.grantLease(Duration.ofMillis(TTL_MILLIS));
        assertThat(r.outcome()).isEqualTo(LeaseOutcome.GRANTED);
        return r.lease();
    }

    private static void put(ReplicatedKeyValueStore via, String key, long lease) {
        WriteResult r = (WriteResult) via.execute(new Command.Put(key, Value.of(key), Precondition.NONE,
                KeyLease.of(lease)));
        assertThat(r.entry().lease()).isEqualTo(lease);
    }

    private void start(String id) throws IOException {
        ClusterConfig config = ClusterConfig.builder(id, members, dir.resolve(id))
                .electionTimeout(Duration.ofMillis(300), Duration.ofMillis(600)).build();
        nodes.put(id, ReplicatedKeyValueStore.start(config, StoreOptions.defaults(dir.resolve(id))));
    }

    private void stop(String id) {
        ReplicatedKeyValueStore n = nodes.remove(id);
        if (n != null) {
            n.close();
        }
    }

    private String other(String not, String norThis) {
        return nodes.keySet().stream().filter(id -> !id.equals(not) && !id.equals(norThis)).findFirst()
                .orElseThrow();
    }

    /** Waits for a leader (not {@code old}) that every running node names and whose expiry runs; returns it. */
    private String awaitExpiringLeader(String old) {
        String[] leader = new String[1];
        await("a leader that runs expiry").atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
            for (Map.Entry<String, ReplicatedKeyValueStore> e : nodes.entrySet()) {
                ClusterStatus s = e.getValue().node().status();
                boolean leads = s.members().stream().anyMatch(m -> m.id().equals(e.getKey())
                        && m.role() == ClusterStatus.Role.LEADER);
                if (leads && !e.getKey().equals(old) && e.getValue().leaseStatus().expiryRunning()
                        && nodes.values().stream().allMatch(n -> e.getKey().equals(n.node().status().leaderId()))) {
                    leader[0] = e.getKey();
                    return true;
                }
            }
            return false;
        });
        return leader[0];
    }
}
