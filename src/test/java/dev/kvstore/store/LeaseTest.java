package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leases in the engine: what attaches a key and what detaches it, a lease's end deleting every attached key in one
 * revision and one frame that no reader sees half of, and leases with their keys surviving restarts, compactions
 * (also while leases come and go) and snapshots.
 */
class LeaseTest {

    @TempDir
    Path dir;

    private StoreOptions options() {
        return StoreOptions.defaults(dir);
    }

    private WalKeyValueStore open() throws IOException {
        return WalKeyValueStore.open(options());
    }

    private Path log() {
        return dir.resolve(StoreOptions.LOG_FILE_NAME);
    }

    private static long grant(WalKeyValueStore store, long ttlMillis) {
        LeaseResult r = store.grantLease(Duration.ofMillis(ttlMillis));
        assertThat(r.outcome()).isEqualTo(LeaseOutcome.GRANTED);
        assertThat(r.lease()).as("a lease's id is the revision of its grant").isEqualTo(r.revision());
        return r.lease();
    }

    private static WriteResult put(WalKeyValueStore store, String key, Value value, KeyLease lease) {
        return (WriteResult) store.execute(new Command.Put(key, value, NONE, lease));
    }

    @Test
    void writesAttachDetachAndKeepAsTheySay() throws IOException {
        try (WalKeyValueStore store = open()) {
            long lease = grant(store, 60_000);
            assertThat(lease).isEqualTo(store.revision());
            assertThat(put(store, "a", Value.of(1L), KeyLease.of(lease)).entry().lease()).isEqualTo(lease);
            assertThat(((WriteResult) store.execute(new Command.Increment("a", Value.of(1L), NONE))).entry().lease())
                    .as("an increment keeps the lease").isEqualTo(lease);
            assertThat(store.lease(lease).keys()).containsExactly("a");
            assertThat(store.put("a", Value.of(5L), NONE).entry().lease()).as("a PUT without one detaches")
                    .isZero();
            assertThat(store.lease(lease).keys()).isEmpty();
            assertThat(store.leaseStatus().attachedKeys()).isZero();

            long before = store.revision();
            WriteResult unknown = put(store, "b", Value.of(1L), KeyLease.of(lease + 100));
            assertThat(unknown.outcome()).isEqualTo(WriteOutcome.LEASE_NOT_FOUND);
            assertThat(store.get("b")).isNull();
            assertThat(store.revision()).as("a refused write takes no revision").isEqualTo(before);

            WriteResult own = put(store, "c", Value.of("c"), KeyLease.grant(30_000));
            assertThat(own.entry().lease()).as("the new lease's id is the write's revision").isEqualTo(own.revision());
            assertThat(store.lease(own.revision()).keys()).containsExactly("c");
            assertThat(store.lease(own.revision()).ttlMillis()).isEqualTo(30_000);

            BatchResult batch = store.batch(List.of(BatchOperation.set("d", Value.of(1L), NONE, KeyLease.of(lease)),
                    BatchOperation.set("e", Value.of(2L), NONE, KeyLease.of(lease))));
            assertThat(batch.applied()).isTrue();
            assertThat(store.lease(lease).keys()).containsExactly("d", "e");
            BatchResult refused = store.batch(List.of(BatchOperation.set("f", Value.of(1L), NONE),
                    BatchOperation.set("g", Value.of(2L), NONE, KeyLease.of(999_999))));
            assertThat(refused.applied()).isFalse();
            assertThat(refused.failedIndex()).isEqualTo(1);
            assertThat(refused.results()).extracting(WriteResult::outcome)
                    .containsExactly(WriteOutcome.ABORTED, WriteOutcome.LEASE_NOT_FOUND);
            assertThat(store.get("f")).isNull();
            assertThat(store.delete("d", NONE).outcome()).isEqualTo(WriteOutcome.DELETED);
            assertThat(store.lease(lease).keys()).as("a deleted key is detached").containsExactly("e");
        }
    }

    @Test
    void revokeDeletesEveryAttachedKeyInOneRevisionAndOneFrame() throws IOException {
        try (WalKeyValueStore store = open()) {
            long lease = grant(store, 60_000);
            for (int i = 0; i < 50; i++) {
                put(store, "s/" + i, Value.of((long) i), KeyLease.of(lease));
            }
            store.put("s/other", Value.of(0L), NONE);
            long size = Files.size(log());
            long revision = store.revision();

            LeaseResult r = store.revokeLease(lease, null);

            assertThat(r.outcome()).isEqualTo(LeaseOutcome.REVOKED);
            assertThat(r.keys()).isEqualTo(50);
            assertThat(r.revision()).isEqualTo(revision + 1);
            assertThat(store.revision()).isEqualTo(revision + 1);
            assertThat(Files.size(log()) - size).as("one frame: BATCH of one LEASE_REVOKE")
                    .isEqualTo(Frame.OVERHEAD_V2 + Frame.BATCH_OP_HEADER + 9);
            assertThat(store.list("s/", null, 100).entries()).extracting(java.util.Map.Entry::getKey)
                    .containsExactly("s/other");
            assertThat(store.lease(lease)).isNull();
            assertThat(store.revokeLease(lease, null).outcome()).isEqualTo(LeaseOutcome.NOT_FOUND);
            assertThat(store.keepLeaseAlive(lease)).isEqualTo(-1);
        }
        try (WalKeyValueStore store = open()) {
            assertThat(store.list("s/", null, 100).entries()).hasSize(1);
            assertThat(store.leaseStatus().leases()).isZero();
        }
    }

    /** A reader never sees part of a lease's keys gone: a listing is one state, and the end is one step of it. */
    @Test
    void readersNeverSeeHalfOfALeasesKeysGone() throws Exception {
        int keys = 300;
        try (WalKeyValueStore store = open()) {
            ExecutorService readers = Executors.newFixedThreadPool(2);
            try {
                for (int round = 0; round < 5; round++) {
                    long lease = grant(store, 60_000);
                    List<BatchOperation> ops = new ArrayList<>();
                    for (int i = 0; i < keys; i++) {
                        ops.add(BatchOperation.set("r/" + i, Value.of((long) i), NONE,
                                i % 2 == 0 ? KeyLease.of(lease) : KeyLease.NONE));
                        if (ops.size() == 100) {
                            store.batch(ops);
                            ops.clear();
                        }
                    }
                    for (int i = 0; i < keys; i += 2) {
                        store.delete("r/" + (i + 1), NONE);
                    }
                    AtomicBoolean done = new AtomicBoolean();
                    CountDownLatch reading = new CountDownLatch(2);
                    List<Future<int[]>> seen = new ArrayList<>();
                    for (int t = 0; t < 2; t++) {
                        seen.add(readers.submit(() -> {
                            int full = 0;
                            int empty = 0;
                            reading.countDown();
                            while (!done.get() || full + empty < 10) {
                                int n = store.list("r/", null, keys + 1).entries().size();
                                assertThat(n).as("keys of the lease in one listing").isIn(0, keys / 2);
                                if (n == 0) {
                                    empty++;
                                } else {
                                    full++;
                                }
                            }
                            return new int[] {full, empty};
                        }));
                    }
                    assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
                    assertThat(store.revokeLease(lease, null).keys()).isEqualTo(keys / 2);
                    done.set(true);
                    for (Future<int[]> f : seen) {
                        int[] counts = f.get(60, TimeUnit.SECONDS);
                        assertThat(counts[0] + counts[1]).isGreaterThanOrEqualTo(10);
                    }
                }
            } finally {
                readers.shutdownNow();
            }
        }
    }

    @Test
    void leasesAndTheirKeysSurviveRestartCompactionAndSnapshots() throws IOException {
        FullState before;
        byte[] snapshot;
        try (WalKeyValueStore store = open()) {
            long a = grant(store, 60_000);
            long b = grant(store, 1_000);
            put(store, "x/1", Value.of("one"), KeyLease.of(a));
            put(store, "x/2", Value.of(2.5), KeyLease.of(a));
            put(store, "y/1", Value.of(1L), KeyLease.of(b));
            put(store, "z", Value.of("own"), KeyLease.grant(5_000));
            store.put("plain", Value.of(0L), NONE);
            long gone = grant(store, 60_000);
            put(store, "x/3", Value.of(3L), KeyLease.of(gone));
            store.revokeLease(gone, null);
            before = FullState.of(store);
            assertThat(before.leases()).hasSize(3);
            try (Snapshot s = store.snapshot()) {
                snapshot = bytesOf(s);
            }
        }
        try (WalKeyValueStore store = open()) {
            assertThat(FullState.of(store)).as("after a restart").isEqualTo(before);
            store.compact();
            assertThat(FullState.of(store)).as("after a compaction").isEqualTo(before);
        }
        try (WalKeyValueStore store = open()) {
            assertThat(FullState.of(store)).as("after a compaction and a restart").isEqualTo(before);
        }
        Path file = dir.resolve("snapshot.log");
        Files.write(file, snapshot);
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir.resolve("restored"))
                .withRestoreFrom(file))) {
            assertThat(FullState.of(store)).as("restored from a snapshot").isEqualTo(before);
        }
    }

    /**
     * Compactions back to back while writers grant leases, attach keys, revoke and expire: the compacted log replays
     * to exactly the state the store had (the leases granted or ended while the live state was copied come back
     * from the frames copied after it).
     */
    @Test
    void compactionWhileLeasesComeAndGoKeepsExactlyTheState() throws Exception {
        long seed = Long.getLong("kv.test.seed", System.nanoTime());
        System.out.println("LeaseTest seed=" + seed + " (replay: -Dkv.test.seed=" + seed + ")");
        FullState live;
        try (WalKeyValueStore store = open()) {
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(3);
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                SplittableRandom r = new SplittableRandom(seed + w);
                int id = w;
                writers.add(pool.submit(() -> {
                    List<Long> mine = new ArrayList<>();
                    while (!stop.get()) {
                        int op = r.nextInt(10);
                        if (op == 0 || mine.isEmpty()) {
                            mine.add(grant(store, 60_000));
                        } else if (op == 1) {
                            store.revokeLease(mine.remove(r.nextInt(mine.size())), null);
                        } else if (op == 2) {
                            store.idempotent("w" + id, "k" + r.nextInt(50), new Command.Fingerprint(1, 1),
                                    new Command.Increment("n/" + id, Value.of(1L), NONE));
                        } else {
                            KeyLease lease = r.nextBoolean() ? KeyLease.of(mine.get(r.nextInt(mine.size())))
                                    : KeyLease.NONE;
                            put(store, "k/" + id + "/" + r.nextInt(40), Value.of(r.nextLong()), lease);
                        }
                    }
                    return null;
                }));
            }
            for (int i = 0; i < 6; i++) {
                store.compact();
            }
            stop.set(true);
            for (Future<?> f : writers) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            live = FullState.of(store);
            assertThat(live.leases()).isNotEmpty();
        }
        try (WalKeyValueStore store = open()) {
            assertThat(FullState.of(store)).isEqualTo(live);
        }
    }

    /**
     * A log whose key is attached to a lease it never granted (no store writes one; a log put together by hand): the
     * key is expired as soon as expiry starts, rather than kept forever.
     */
    @Test
    void aKeyAttachedToALeaseTheLogNeverGrantedExpiresAtStart() throws Exception {
        Files.createDirectories(dir);
        byte magic = StoreOptions.DEFAULT_MAGIC;
        try (OutputStream out = Files.newOutputStream(log())) {
            out.write(Frame.encodeBatch(magic, List.of(Frame.encodeSetOp(Utf8.encode("orphan"), Value.of(1L), 1, 77)),
                    1));
            out.write(Frame.encodeSetV2(magic, Utf8.encode("kept"), Value.of(2L), 2, 2));
        }
        try (WalKeyValueStore store = open()) {
            assertThat(store.get("orphan").lease()).isEqualTo(77);
            store.startLeaseExpiry();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            // The expiry thread counts an expiry once its write is answered, a moment after readers see it.
            while ((store.get("orphan") != null || store.leaseStatus().expired() == 0)
                    && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(store.get("orphan")).isNull();
            assertThat(store.get("kept")).isNotNull();
            assertThat(store.leaseStatus().expired()).isEqualTo(1);
        }
    }

    @Test
    void leasesExpireOnTheirOwnOnceExpiryStarts() throws Exception {
        try (WalKeyValueStore store = open()) {
            WriteResult w = put(store, "e", Value.of(1L), KeyLease.grant(300));
            long granted = System.nanoTime();
            assertThat(store.lease(w.revision()).remainingMillis()).as("expiry not started: whole TTL")
                    .isEqualTo(300);
            // The deadlines restart at a moment inside startLeaseExpiry: never early is measured from before the
            // call (the latest the restart can have been seen), on time from after it (the earliest).
            long asked = System.nanoTime();
            store.startLeaseExpiry();
            long started = System.nanoTime();
            while (store.get("e") != null) {
                assertThat(System.nanoTime() - started).as("gone within TTL + 1 s")
                        .isLessThan(TimeUnit.MILLISECONDS.toNanos(1300));
                Thread.onSpinWait();
            }
            assertThat(System.nanoTime() - asked).as("never before its TTL from the start")
                    .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
            assertThat(granted).isLessThanOrEqualTo(asked);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (store.leaseStatus().expired() == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(store.leaseStatus().expired()).isEqualTo(1);
        }
    }

    private static byte[] bytesOf(Snapshot s) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        s.transferTo(out);
        return out.toByteArray();
    }
}
