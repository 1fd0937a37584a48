package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The change feed of the engine: what each revision's event holds, prefixes, the floor, and waiting readers. */
class ChangeFeedTest {

    @TempDir
    Path dir;

    private StoreOptions options() {
        return StoreOptions.defaults(dir).withCompaction(new CompactionPolicy(false, 0, 2.0));
    }

    private static List<ChangeEvent> all(ChangeFeed feed, long from, String prefix) {
        return feed.read(from, prefix, Integer.MAX_VALUE, Long.MAX_VALUE).events();
    }

    @Test
    void eachRevisionIsOneEventWithTheEntryBeforeEachChange() throws IOException {
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            store.put("a", Value.of("1"), NONE);
            store.put("a", Value.of("2"), NONE);
            store.batch(List.of(BatchOperation.delete("a", NONE), BatchOperation.set("b", Value.of(7L), NONE),
                    BatchOperation.delete("absent", NONE)));
            store.increment("b", Value.of(3L), NONE);
            store.delete("missing", NONE);
            store.delete("b", NONE);
            List<ChangeEvent> events = all(store.feed(), 1, "");
            assertThat(events).extracting(ChangeEvent::revision).containsExactly(1L, 2L, 3L, 4L, 5L);
            Entry a1 = new Entry(Value.of("1"), 1, 1);
            Entry a2 = new Entry(Value.of("2"), 2, 1);
            Entry b3 = new Entry(Value.of(7L), 3, 3);
            Entry b4 = new Entry(Value.of(10L), 4, 3);
            assertThat(events.get(0).changes()).containsExactly(new Change("a", null, a1));
            assertThat(events.get(1).changes()).containsExactly(new Change("a", a1, a2));
            // The batch is one event; deleting a key that had no value changes nothing.
            assertThat(events.get(2).changes()).containsExactly(new Change("a", a2, null), new Change("b", null, b3));
            assertThat(events.get(2).changes().get(0).op()).isEqualTo(Change.Op.DELETE);
            assertThat(events.get(3).changes()).containsExactly(new Change("b", b3, b4));
            assertThat(events.get(4).changes()).containsExactly(new Change("b", b4, null));
            assertThat(store.feed().revision()).isEqualTo(5);
            assertThat(store.feed().compactRevision()).isEqualTo(1);
        }
    }

    @Test
    void aPrefixKeepsOnlyItsChangesAndSkipsRevisionsWithoutAny() throws IOException {
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            store.put("app/x", Value.of(1L), NONE);
            store.put("other", Value.of(1L), NONE);
            store.batch(List.of(BatchOperation.set("app/y", Value.of(2L), NONE),
                    BatchOperation.set("zzz", Value.of(3L), NONE), BatchOperation.set("app/z", Value.of(4L), NONE)));
            ChangeFeed.Read read = store.feed().read(1, "app/", 10, Long.MAX_VALUE);
            assertThat(read.events()).extracting(ChangeEvent::revision).containsExactly(1L, 3L);
            assertThat(read.events().get(1).changes()).extracting(Change::key).containsExactly("app/y", "app/z");
            assertThat(read.next()).isEqualTo(4);
            // At most maxEvents: the next read starts after the last one returned.
            ChangeFeed.Read first = store.feed().read(1, "", 1, Long.MAX_VALUE);
            assertThat(first.events()).extracting(ChangeEvent::revision).containsExactly(1L);
            assertThat(first.next()).isEqualTo(2);
            // A read past the end finds nothing and stays where it asked.
            assertThat(store.feed().read(9, "", 10, Long.MAX_VALUE)).isEqualTo(new ChangeFeed.Read(List.of(), 9));
        }
    }

    @Test
    void theOldestRevisionsGoBeyondTheRetentionAndAReadBelowTheFloorIsRefused() throws IOException {
        try (WalKeyValueStore store = WalKeyValueStore.open(options().withHistoryRetention(4096))) {
            for (int i = 0; i < 200; i++) {
                store.put("k" + (i % 7), Value.of("v".repeat(20) + i), NONE);
            }
            ChangeFeed feed = store.feed();
            long floor = feed.compactRevision();
            assertThat(floor).isGreaterThan(100).isLessThan(200);
            assertThat(feed.stats().bytes()).isLessThanOrEqualTo(4096);
            assertThatThrownBy(() -> feed.read(floor - 1, "", 10, Long.MAX_VALUE))
                    .isInstanceOfSatisfying(HistoryCompactedException.class, e -> {
                        assertThat(e.compactRevision()).isEqualTo(floor);
                        assertThat(e.requested()).isEqualTo(floor - 1);
                    });
            List<ChangeEvent> events = all(feed, floor, "");
            assertThat(events.get(0).revision()).isEqualTo(floor);
            assertThat(events).hasSize((int) (200 - floor + 1));
        }
    }

    /**
     * The retention counts what the events hold on the heap, not their frames: a value the log stores compressed
     * (a 256 KiB string of one letter takes a few KiB there) is held whole by its event and by the next one's entry
     * before. Counting the frames let a history of "16 MiB" hold gigabytes and a small heap run out.
     */
    @Test
    void compressedValuesWeighWhatTheyTakeOnTheHeap() throws IOException {
        int chars = 256 * 1024;
        try (WalKeyValueStore store = WalKeyValueStore.open(options().withHistoryRetention(2L << 20))) {
            for (int i = 0; i < 40; i++) {
                store.put("k" + (i % 4), Value.of(String.valueOf((char) ('a' + i % 26)).repeat(chars)), NONE);
            }
            assertThat(Files.size(options().logFile())).as("the values are stored compressed")
                    .isLessThan(40L * chars / 10);
            ChangeFeed feed = store.feed();
            List<ChangeEvent> held = all(feed, feed.compactRevision(), "");
            long heap = 0;
            for (ChangeEvent e : held) {
                for (Change c : e.changes()) {
                    heap += chars + (c.previous() == null ? 0 : chars);
                }
            }
            assertThat(heap).as("value bytes the %d events held keep alive", held.size()).isLessThanOrEqualTo(2L << 20);
            assertThat(held).as("events held").hasSizeBetween(3, 8);
            assertThat(feed.stats().bytes()).isLessThanOrEqualTo(2L << 20);
        }
    }

    /**
     * A reader waiting for changes under a prefix is not called for writes elsewhere (it is checked in the same pass
     * as a reader of every key registered after it, which is called), and is called for one under its prefix.
     */
    @Test
    void aReaderWaitingForAPrefixIsCalledOnlyForAChangeUnderIt() throws Exception {
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            long from = store.put("a/x", Value.of(1L), NONE).revision() + 1;
            CountDownLatch underA = new CountDownLatch(1);
            store.feed().onChange(from, "a/", underA::countDown);
            CountDownLatch any = new CountDownLatch(1);
            store.feed().onChange(from, "", any::countDown);
            store.put("b/x", Value.of(1L), NONE);
            assertThat(any.await(10, TimeUnit.SECONDS)).isTrue();
            // The feed's thread checks its readers in the order they came: a/ was passed over before "" was called.
            assertThat(underA.getCount()).as("called for a write under b/").isEqualTo(1);
            store.put("b/y", Value.of(1L), NONE);
            store.put("a/y", Value.of(1L), NONE);
            assertThat(underA.await(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aWaitingReaderIsCalledOnceItsRevisionIsPublishedAndWhenTheStoreCloses() throws Exception {
        CountDownLatch closedCall = new CountDownLatch(1);
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            store.put("a", Value.of(1L), NONE);
            CountDownLatch now = new CountDownLatch(1);
            store.feed().onRevision(1, now::countDown);
            assertThat(now.await(10, TimeUnit.SECONDS)).as("a revision already published").isTrue();
            CountDownLatch later = new CountDownLatch(1);
            store.feed().onRevision(3, later::countDown);
            CountDownLatch cancelled = new CountDownLatch(1);
            store.feed().onRevision(2, cancelled::countDown).cancel();
            store.put("a", Value.of(2L), NONE);
            assertThat(later.getCount()).isEqualTo(1);
            store.put("a", Value.of(3L), NONE);
            assertThat(later.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(cancelled.getCount()).isEqualTo(1);
            store.feed().onRevision(100, closedCall::countDown);
        }
        assertThat(closedCall.await(10, TimeUnit.SECONDS)).as("told at close").isTrue();
    }

    /**
     * A watcher cancels its wait each time it sends a progress event; while nothing is written, the feed's thread
     * still sweeps cancelled waits out, so that they do not pile up (each would hold its watcher's request).
     */
    @Test
    void waitsCancelledWhileNothingIsWrittenDoNotPileUp() throws Exception {
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            long from = store.put("a", Value.of(1L), NONE).revision() + 1;
            History feed = (History) store.feed();
            for (int i = 0; i < 100_000; i++) {
                feed.onChange(from, "idle/", () -> { }).cancel();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (feed.waiting() >= History.SWEEP_CANCELLED) {
                assertThat(System.nanoTime()).as("waits left: %d", feed.waiting()).isLessThan(deadline);
                Thread.sleep(10);
            }
            CountDownLatch live = new CountDownLatch(1);
            feed.onChange(from, "idle/", live::countDown);
            store.put("idle/x", Value.of(1L), NONE);
            assertThat(live.await(10, TimeUnit.SECONDS)).as("a wait that was not cancelled is called").isTrue();
        }
    }

    @Test
    void aListingPageCarriesTheRevisionItWasReadAt() throws IOException {
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            store.put("a", Value.of(1L), NONE);
            store.put("b", Value.of(1L), NONE);
            assertThat(store.list("", null, 10).revision()).isEqualTo(2);
        }
    }

    @Test
    void aLogCompactedBeforeHistoryFramesStartsItsHistoryAtOpenAndKeepsItFromThen() throws IOException {
        // REVISION 9, then the live entries: what a compaction wrote before the HISTORY frame existed.
        byte magic = StoreOptions.DEFAULT_MAGIC;
        Files.write(dir.resolve(StoreOptions.LOG_FILE_NAME), concat(Frame.encodeRevision(magic, 9),
                Frame.encodeSetV2(magic, Utf8.encode("a"), Value.of(1L), 4, 2)));
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            assertThat(store.feed().compactRevision()).isEqualTo(10);
            store.put("a", Value.of(2L), NONE);
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            assertThat(store.feed().compactRevision()).isEqualTo(10);
            assertThat(all(store.feed(), 10, "")).singleElement().satisfies(e -> assertThat(e.changes())
                    .containsExactly(new Change("a", new Entry(Value.of(1L), 4, 2), new Entry(Value.of(2L), 10, 2))));
        }
    }

    @Test
    void aSeedLogHasNoHistoryButWhatIsWrittenAfterIt() throws IOException {
        LogFormat format = options().format();
        Files.write(dir.resolve(StoreOptions.LOG_FILE_NAME), concat(Frame.encodeSet(format, Utf8.encode("a"),
                Value.of("x")), Frame.encodeSet(format, Utf8.encode("b"), Value.of("y"))));
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            assertThat(store.feed().compactRevision()).isEqualTo(3);
            store.put("a", Value.of("z"), NONE);
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            assertThat(store.feed().compactRevision()).isEqualTo(3);
            assertThat(all(store.feed(), 3, "")).singleElement().satisfies(e -> assertThat(e.changes())
                    .containsExactly(new Change("a", new Entry(Value.of("x"), 1, 1), new Entry(Value.of("z"), 3, 1))));
        }
    }

    /**
     * Writers on three threads and compactions in between, a follower recording the feed as it goes, and a restart
     * after each round: the follower sees every revision once, in order, each with the exact entry before it (the
     * chain of entries replays to the store's state), and after each restart the history the store derives from its
     * log is exactly what the follower saw, from a floor no higher than before the restart.
     */
    /**
     * The end of a lease deletes its keys in one revision: an {@code expire} for each key when it expired, a
     * {@code delete} when it was revoked, with the entry (and lease) before; replay derives the same events from the
     * LEASE_REVOKE frames, after a restart and after a compaction (whose priors carry the keys' leases).
     */
    @Test
    void theEndOfALeaseIsOneEventOfExpiresOrDeletesLiveAndAfterRestartsAndCompactions() throws Exception {
        List<ChangeEvent> live;
        long floor;
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            long revoked = store.grantLease(java.time.Duration.ofMinutes(5)).lease();
            long expiring = store.grantLease(java.time.Duration.ofMillis(100)).lease();
            store.execute(new Command.Put("r/1", Value.of("one"), NONE, KeyLease.of(revoked)));
            store.batch(List.of(BatchOperation.set("r/2", Value.of(2L), NONE, KeyLease.of(revoked)),
                    BatchOperation.set("x/1", Value.of("x"), NONE, KeyLease.of(expiring)),
                    BatchOperation.set("plain", Value.of("p"), NONE)));
            store.execute(new Command.Put("x/2", Value.of(2.5), NONE, KeyLease.of(expiring)));
            // Compacted with every key still there: the copy's state and priors carry the leases.
            store.compact();
            long revokedAt = store.revokeLease(revoked, null).revision();
            store.startLeaseExpiry();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (store.get("x/1") != null && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(store.get("x/1")).as("expired").isNull();
            live = all(store.feed(), 1, "");
            floor = store.feed().compactRevision();
            ChangeEvent revoke = live.stream().filter(e -> e.revision() == revokedAt).findFirst().orElseThrow();
            assertThat(revoke.changes()).extracting(Change::key).containsExactly("r/1", "r/2");
            assertThat(revoke.changes()).allSatisfy(c -> {
                assertThat(c.op()).isEqualTo(Change.Op.DELETE);
                assertThat(c.current()).isNull();
                assertThat(c.previous().lease()).isEqualTo(revoked);
            });
            ChangeEvent expiry = live.get(live.size() - 1);
            assertThat(expiry.changes()).extracting(Change::key).containsExactly("x/1", "x/2");
            assertThat(expiry.changes()).allSatisfy(c -> {
                assertThat(c.op()).isEqualTo(Change.Op.EXPIRE);
                assertThat(c.current()).isNull();
                assertThat(c.previous().lease()).isEqualTo(expiring);
            });
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            assertThat(store.feed().compactRevision()).isEqualTo(floor);
            assertThat(describe(all(store.feed(), floor, ""))).as("replayed after a restart")
                    .isEqualTo(describe(live));
            store.compact();
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            assertThat(describe(all(store.feed(), floor, ""))).as("replayed after a compaction and a restart")
                    .isEqualTo(describe(live));
        }
    }

    @Test
    void theHistoryIsExactAcrossRestartsAndCompactionsWhileWritesGoOn() throws Exception {
        long seed = Long.getLong("kv.test.seed", System.nanoTime());
        System.out.println("ChangeFeedTest seed: " + seed + " (replay with -Dkv.test.seed=" + seed + ")");
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        StoreOptions opts = options().withSync(SyncMode.NONE, null).withHistoryRetention(1 << 20);
        java.util.TreeMap<Long, String> seen = new java.util.TreeMap<>();
        java.util.Map<String, Entry> model = new java.util.HashMap<>();
        long next = 1;
        long floorBefore = Long.MAX_VALUE;
        for (int round = 0; round < 6; round++) {
            try (WalKeyValueStore store = WalKeyValueStore.open(opts)) {
                ChangeFeed feed = store.feed();
                assertThat(feed.compactRevision()).as("round %d: floor after the restart", round)
                        .isLessThanOrEqualTo(floorBefore);
                long from = feed.compactRevision();
                assertThat(describe(all(feed, from, ""))).as("round %d: the history derived from the log", round)
                        .containsExactlyElementsOf(seen.tailMap(from).values());
                Follower follower = new Follower(feed, next, seen, model);
                follower.start();
                List<Thread> writers = new ArrayList<>();
                for (int w = 0; w < 3; w++) {
                    long writerSeed = random.nextLong();
                    writers.add(new Thread(() -> churn(store, writerSeed, 400)));
                }
                writers.forEach(Thread::start);
                for (int c = 0; c < 2; c++) {
                    store.compact();
                }
                for (Thread t : writers) {
                    t.join();
                }
                next = follower.stopAt(store.revision());
                assertThat(follower.failure).as("round %d: the follower", round).isNull();
                java.util.Map<String, Entry> actual = new java.util.HashMap<>();
                store.list("", null, 100_000).entries().forEach(e -> actual.put(e.getKey(), e.getValue()));
                assertThat(model).as("round %d: the chain of changes replays to the store's state", round)
                        .isEqualTo(actual);
                floorBefore = feed.compactRevision();
                if (round % 2 == 1) {
                    store.compact();
                }
            }
        }
        // More than the retention holds: the floor moved, and compactions kept what it holds.
        assertThat(seen.size()).isGreaterThan(5000);
        assertThat(floorBefore).isGreaterThan(1);
    }

    /** Random puts, deletes, increments and batches over 30 keys under two prefixes. */
    private static void churn(WalKeyValueStore store, long seed, int writes) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int i = 0; i < writes; i++) {
            String key = (r.nextBoolean() ? "a/" : "b/") + r.nextInt(15);
            switch (r.nextInt(5)) {
                case 0 -> store.delete(key, NONE);
                case 1 -> store.increment(key, Value.of(1L), NONE);
                case 2 -> {
                    List<BatchOperation> ops = new ArrayList<>();
                    for (int k = 0; k < 4; k++) {
                        String bk = "c/" + k + "/" + r.nextInt(3);
                        ops.add(r.nextBoolean() ? BatchOperation.delete(bk, NONE)
                                : BatchOperation.set(bk, Value.of("b" + i), NONE));
                    }
                    store.batch(ops);
                }
                default -> store.put(key, Value.of("v" + i + "x".repeat(r.nextInt(40))), NONE);
            }
        }
    }

    /** Reads the feed as it grows, checking each revision once, in order, against a model of the entries. */
    private static final class Follower extends Thread {
        private final ChangeFeed feed;
        private final java.util.TreeMap<Long, String> seen;
        private final java.util.Map<String, Entry> model;
        private volatile long next;
        private volatile long until = Long.MAX_VALUE;
        volatile Throwable failure;

        Follower(ChangeFeed feed, long next, java.util.TreeMap<Long, String> seen,
                 java.util.Map<String, Entry> model) {
            this.feed = feed;
            this.next = next;
            this.seen = seen;
            this.model = model;
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                while (next <= until) {
                    ChangeFeed.Read read = feed.read(next, "", 100, Long.MAX_VALUE);
                    for (ChangeEvent e : read.events()) {
                        assertThat(e.revision()).isGreaterThanOrEqualTo(next);
                        assertThat(seen.put(e.revision(), describe(List.of(e)).get(0))).isNull();
                        for (Change c : e.changes()) {
                            assertThat(model.get(c.key())).as("the entry before %s at %d", c.key(), e.revision())
                                    .isEqualTo(c.previous());
                            if (c.current() == null) {
                                model.remove(c.key());
                            } else {
                                model.put(c.key(), c.current());
                            }
                        }
                    }
                    next = read.next();
                    if (read.events().isEmpty() && next <= until) {
                        CountDownLatch published = new CountDownLatch(1);
                        ChangeFeed.Subscription s = feed.onRevision(next, published::countDown);
                        published.await(100, TimeUnit.MILLISECONDS);
                        s.cancel();
                    }
                }
            } catch (Throwable t) {
                failure = t;
            }
        }

        /** Lets it read up to {@code revision}, waits for it, and returns where it stopped. */
        long stopAt(long revision) throws InterruptedException {
            until = revision;
            join(TimeUnit.SECONDS.toMillis(30));
            assertThat(isAlive()).as("the follower reached revision " + revision).isFalse();
            return next;
        }
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** The events as plain values, for comparing two reads. */
    static List<String> describe(List<ChangeEvent> events) {
        List<String> out = new ArrayList<>();
        for (ChangeEvent e : events) {
            out.add(e.revision() + " " + e.changes());
        }
        return out;
    }
}
