package dev.kvstore.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kvstore.cluster.ClusterConfig;
import dev.kvstore.cluster.ClusterMember;
import dev.kvstore.cluster.ClusterStatus;
import dev.kvstore.store.BatchOperation;
import dev.kvstore.store.Change;
import dev.kvstore.store.ChangeEvent;
import dev.kvstore.store.ChangeFeed;
import dev.kvstore.store.HistoryCompactedException;
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
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The change feed in cluster mode, on three real Ratis nodes in this JVM: each replica publishes what it applies, so
 * a follower's feed, read while writes go through the leader, holds every revision exactly once, in order, with the
 * leader's changes; and the history survives snapshots: a watcher resumes from before the last snapshot on a node
 * that restarted from its own snapshot and on one that installed the leader's, and gets every change once; only a
 * resume below the history's window is told it was compacted (never given a gap).
 */
class ClusterWatchTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int WRITES = 120;
    private static final long RETENTION = 24_000;

    @TempDir
    Path dir;

    private final List<ClusterMember> members = new ArrayList<>();
    private final Map<String, ReplicatedKeyValueStore> nodes = new ConcurrentSkipListMap<>();

    @AfterEach
    void stopAll() {
        new ArrayList<>(nodes.keySet()).forEach(this::stop);
    }

    @Test
    void aFollowersFeedHoldsEveryRevisionOnceInOrderWithTheLeadersChanges() throws Exception {
        startGroup(UnaryOperator.identity());
        String leader = awaitLeader();
        String follower = other(leader);
        ReplicatedKeyValueStore via = nodes.get(leader);
        ChangeFeed followerFeed = nodes.get(follower).feed();
        assertThat(followerFeed.compactRevision()).isEqualTo(1);

        AtomicLong last = new AtomicLong(Long.MAX_VALUE);
        List<Long> quiet = new ArrayList<>();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            quiet.add(writeMix(via, WRITES));
            last.set(via.replica().revision());
        });
        List<ChangeEvent> seen = readUntil(followerFeed, 1, last, writer);
        writer.join();

        long end = last.get();
        TreeSet<Long> expected = new TreeSet<>();
        for (long r = 1; r <= end; r++) {
            expected.add(r);
        }
        expected.removeAll(quiet); // a lease's grant takes a revision and changes no key
        assertThat(seen).extracting(ChangeEvent::revision).containsExactlyElementsOf(expected);
        assertSameEvents(seen, nodes.get(leader).feed().read(1, "", Integer.MAX_VALUE, Long.MAX_VALUE).events());
        assertThat(seen.stream().flatMap(e -> e.changes().stream()).map(Change::op))
                .contains(Change.Op.PUT, Change.Op.DELETE);
    }

    @Test
    void aWatcherResumesFromBeforeTheSnapshotOnAFollowerThatInstalledTheLeadersSnapshot() throws Exception {
        startGroup(b -> b.snapshotEntries(1_000_000).logSegmentBytes(4096));
        String leader = awaitLeader();
        String follower = other(leader);
        ReplicatedKeyValueStore via = nodes.get(leader);
        writeMix(via, 10);
        ReplicaNodes.awaitConverged(nodes.values(), WAIT);
        long before = nodes.get(follower).replica().appliedIndex();
        // Where a watcher of this follower had got to when it stopped.
        long resumeFrom = nodes.get(follower).feed().revision() - 3;
        stop(follower);

        writeMix(via, 80);
        long snapshotRevision = via.replica().revision();
        long snapshotIndex = via.node().takeSnapshot();
        await("the leader purges the entries the stopped follower lacks").atMost(WAIT)
                .until(() -> via.node().logStartIndex() > before + 1);
        start(follower);
        ReplicaNodes.awaitConverged(nodes.values(), WAIT);
        assertThat(nodes.get(follower).node().latestSnapshotIndex()).as("installed the leader's snapshot")
                .isGreaterThanOrEqualTo(snapshotIndex);
        assertThat(nodes.get(follower).replica().appliedIndex()).isGreaterThan(before);

        ChangeFeed feed = nodes.get(follower).feed();
        assertThat(feed.compactRevision()).as("the history came with the snapshot").isEqualTo(1)
                .isLessThan(resumeFrom).isLessThan(snapshotRevision);
        assertResumes(feed, resumeFrom, via, 20);
    }

    @Test
    void aWatcherResumesFromBeforeTheSnapshotOnARestartedNodeAndIsToldOnlyBelowTheWindow() throws Exception {
        // About 50 events of writeMix fit in this retention, so the window moves on during the test.
        options = o -> o.withHistoryRetention(RETENTION);
        startGroup(b -> b.snapshotEntries(1_000_000));
        String leader = awaitLeader();
        String follower = other(leader);
        ReplicatedKeyValueStore via = nodes.get(leader);
        writeMix(via, 80);
        ReplicaNodes.awaitConverged(nodes.values(), WAIT);
        long snapshotRevision = nodes.get(follower).replica().revision();
        long floorAtSnapshot = nodes.get(follower).feed().compactRevision();
        assertThat(floorAtSnapshot).as("the retention dropped the oldest").isGreaterThan(1);
        nodes.get(follower).node().takeSnapshot();
        writeMix(via, 10); // after the snapshot (a node may take another one as it stops)
        ReplicaNodes.awaitConverged(nodes.values(), WAIT);
        long floorBeforeRestart = nodes.get(follower).feed().compactRevision();
        stop(follower);
        start(follower);
        ReplicaNodes.awaitConverged(nodes.values(), WAIT);

        ChangeFeed feed = nodes.get(follower).feed();
        assertThat(feed.compactRevision()).as("the window it had before the restart")
                .isEqualTo(floorBeforeRestart).isEqualTo(via.feed().compactRevision()).isLessThan(snapshotRevision);
        assertThatThrownBy(() -> feed.read(floorBeforeRestart - 1, "", 10, Long.MAX_VALUE))
                .isInstanceOfSatisfying(HistoryCompactedException.class, e -> {
                    assertThat(e.compactRevision()).isEqualTo(floorBeforeRestart);
                    assertThat(e.floorCause()).contains("kv.history.retention");
                });
        // Right at the floor, older than the snapshot: every change since, once each.
        assertSameEvents(feed.read(floorBeforeRestart, "", Integer.MAX_VALUE, Long.MAX_VALUE).events(),
                via.feed().read(floorBeforeRestart, "", Integer.MAX_VALUE, Long.MAX_VALUE).events());
        // And while writes go on (few enough that the window does not pass the watcher meanwhile).
        assertThat(floorBeforeRestart + 20).isLessThan(snapshotRevision);
        assertResumes(feed, floorBeforeRestart + 20, via, 5);
    }

    /**
     * A watcher resumes reading {@code feed} at {@code from} while writes go on through {@code via}: it gets every
     * revision from there on exactly once, in order, with the changes {@code via}'s own feed holds.
     */
    private static void assertResumes(ChangeFeed feed, long from, ReplicatedKeyValueStore via, int writes)
            throws Exception {
        AtomicLong last = new AtomicLong(Long.MAX_VALUE);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            writeMix(via, writes);
            last.set(via.replica().revision());
        });
        List<ChangeEvent> seen = readUntil(feed, from, last, writer);
        writer.join();
        List<ChangeEvent> expected = via.feed().read(from, "", Integer.MAX_VALUE, Long.MAX_VALUE).events();
        assertThat(expected).first().extracting(ChangeEvent::revision).isEqualTo(from);
        assertSameEvents(seen, expected);
        assertThat(seen).isNotEmpty().last().extracting(ChangeEvent::revision).isEqualTo(last.get());
    }

    /**
     * Puts, increments, deletes, batches and a lease revoked with its key, through {@code via}; each changes keys
     * except the lease's grant, whose revision is returned.
     */
    private static long writeMix(ReplicatedKeyValueStore via, int count) {
        for (int i = 0; i < count; i++) {
            String key = "k/" + (i % 7);
            switch (i % 5) {
                case 0, 1 -> assertWritten(via.put(key, Value.of("v" + i + "-" + "x".repeat(100)), Precondition.NONE));
                case 2 -> assertWritten(via.increment("counter", Value.of(1L), Precondition.NONE));
                case 3 -> assertThat(via.batch(List.of(BatchOperation.set("b/" + i, Value.of((long) i),
                        Precondition.NONE), BatchOperation.set(key, Value.of("batched"), Precondition.NONE)))
                        .applied()).isTrue();
                // The key put three writes ago, which nothing deleted since: the delete takes a revision.
                default -> assertWritten(via.delete("k/" + ((i - 3) % 7), Precondition.NONE));
            }
        }
        LeaseResult granted = via.grantLease(Duration.ofMinutes(5));
        assertThat(granted.outcome()).isEqualTo(LeaseOutcome.GRANTED);
        long grant = granted.lease();
        assertWritten((WriteResult) via.execute(new dev.kvstore.store.Command.Put("leased", Value.of("l"),
                Precondition.NONE, KeyLease.of(grant))));
        assertThat(via.revokeLease(grant, null).outcome()).isEqualTo(LeaseOutcome.REVOKED);
        return grant;
    }

    private static void assertWritten(WriteResult r) {
        assertThat(r.revision()).as(r.toString()).isPositive();
    }

    /**
     * Reads {@code feed} from {@code from} on as a watcher does, each read from the previous one's {@code next},
     * waiting for new revisions with {@link ChangeFeed#onRevision}, until it reached {@code last}.
     */
    private static List<ChangeEvent> readUntil(ChangeFeed feed, long from, AtomicLong last,
                                               CompletableFuture<Void> writer) throws InterruptedException {
        List<ChangeEvent> seen = new ArrayList<>();
        long next = from;
        long deadline = System.nanoTime() + WAIT.toNanos() * 2;
        while (next <= last.get()) {
            assertThat(System.nanoTime()).as("the feed reached revision " + last.get() + "; at " + next)
                    .isLessThan(deadline);
            assertThat(writer.isCompletedExceptionally()).as("the writer failed").isFalse();
            ChangeFeed.Read read = feed.read(next, "", 16, Long.MAX_VALUE);
            seen.addAll(read.events());
            next = read.next();
            if (read.events().isEmpty()) {
                CountDownLatch published = new CountDownLatch(1);
                ChangeFeed.Subscription s = feed.onRevision(next, published::countDown);
                published.await(200, TimeUnit.MILLISECONDS);
                s.cancel();
            }
        }
        return seen;
    }

    private static void assertSameEvents(List<ChangeEvent> actual, List<ChangeEvent> expected) {
        assertThat(actual).extracting(ChangeEvent::revision)
                .containsExactlyElementsOf(expected.stream().map(ChangeEvent::revision).toList());
        for (int i = 0; i < actual.size(); i++) {
            assertThat(actual.get(i).changes()).as("revision %d", actual.get(i).revision())
                    .isEqualTo(expected.get(i).changes());
        }
    }

    private void startGroup(UnaryOperator<ClusterConfig.Builder> settings) throws IOException {
        ReplicaNodes.quietRatis();
        for (int i = 1; i <= 3; i++) {
            members.add(new ClusterMember("n" + i, "127.0.0.1:" + ReplicaNodes.freePort()));
        }
        this.settings = settings;
        for (ClusterMember m : members) {
            start(m.id());
        }
    }

    private UnaryOperator<ClusterConfig.Builder> settings = UnaryOperator.identity();
    private UnaryOperator<StoreOptions> options = UnaryOperator.identity();

    private void start(String id) throws IOException {
        ClusterConfig config = settings.apply(ClusterConfig.builder(id, members, dir.resolve(id))
                .electionTimeout(Duration.ofMillis(300), Duration.ofMillis(600))).build();
        nodes.put(id, ReplicatedKeyValueStore.start(config, options.apply(StoreOptions.defaults(dir.resolve(id)))));
    }

    private void stop(String id) {
        ReplicatedKeyValueStore n = nodes.remove(id);
        if (n != null) {
            n.close();
        }
    }

    private String other(String not) {
        return nodes.keySet().stream().filter(id -> !id.equals(not)).findFirst().orElseThrow();
    }

    /** Waits for a leader that every running node names; returns it. */
    private String awaitLeader() {
        String[] leader = new String[1];
        await("a leader every node names").atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
            for (Map.Entry<String, ReplicatedKeyValueStore> e : nodes.entrySet()) {
                ClusterStatus s = e.getValue().node().status();
                boolean leads = s.members().stream().anyMatch(m -> m.id().equals(e.getKey())
                        && m.role() == ClusterStatus.Role.LEADER);
                if (leads && nodes.values().stream().allMatch(n -> e.getKey().equals(n.node().status().leaderId()))) {
                    leader[0] = e.getKey();
                    return true;
                }
            }
            return false;
        });
        return leader[0];
    }
}
