package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The index under concurrent readers: while a whole new state is built aside and swapped in (a snapshot installed,
 * say), and while the store compacts its log under a stream of batches. A reader sees one state or the next, never
 * part of a build, a group or a batch.
 */
class KeyIndexTest {

    @TempDir
    Path dir;

    private static final int KEYS = 2_000;

    /** A state where every key holds {@code generation}, at revision {@code generation}. */
    private static KeyIndex.Builder generation(long generation) {
        KeyIndex.Builder b = new KeyIndex.Builder();
        for (int i = KEYS - 1; i >= 0; i--) {
            // Out of key order, so that the build sorts.
            b.accept(new LogRecord.Set(String.format("k/%05d", i), Value.of(generation), generation, 1));
        }
        b.accept(new LogRecord.Set("only-in/" + (generation % 2), Value.of(generation), generation, 1));
        return b;
    }

    @Test
    void readersSeeTheOldStateOrTheNewOneWhileANewOneIsBuiltAndSwappedIn() throws Exception {
        KeyIndex index = new KeyIndex(generation(1));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        AtomicLong pages = new AtomicLong();
        CountDownLatch started = new CountDownLatch(3);
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            boolean lists = t != 0;
            readers.add(new Thread(() -> {
                started.countDown();
                long lastSeen = 0;
                while (!stop.get() && failure.get() == null) {
                    if (lists) {
                        Page page = index.list("", null, KEYS + 10);
                        long first = page.entries().get(0).getValue().revision();
                        for (Map.Entry<String, Entry> e : page.entries()) {
                            if (e.getValue().revision() != first) {
                                failure.compareAndSet(null, "a page mixes generations " + first + " and "
                                        + e.getValue().revision() + " at " + e.getKey());
                            }
                        }
                        if (page.entries().size() != KEYS + 1
                                || !page.entries().get(KEYS).getKey().equals("only-in/" + (first % 2))) {
                            failure.compareAndSet(null, "a page of generation " + first + " has "
                                    + page.entries().size() + " keys, the last " + page.entries().get(
                                    page.entries().size() - 1).getKey());
                        }
                        pages.incrementAndGet();
                    } else {
                        Entry e = index.get("k/01000");
                        long revision = index.revision();
                        if (e == null || e.revision() < lastSeen) {
                            failure.compareAndSet(null, "read " + e + " after generation " + lastSeen);
                        } else if (index.size() != KEYS + 1 || revision < e.revision()) {
                            failure.compareAndSet(null, "size " + index.size() + ", revision " + revision
                                    + " after reading " + e);
                        } else {
                            lastSeen = e.revision();
                        }
                    }
                }
            }));
        }
        readers.forEach(Thread::start);
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        for (long g = 2; g <= 60 && failure.get() == null; g++) {
            // The bulk build runs beside the readers; only the swap is seen by them, as one step.
            index.replaceWith(generation(g));
            assertThat(index.get("k/00000").revision()).isEqualTo(g);
        }
        stop.set(true);
        for (Thread t : readers) {
            t.join(10_000);
        }
        assertThat(failure.get()).isNull();
        assertThat(pages.get()).as("readers listed while the states were swapped").isPositive();
        assertThat(index.revision()).isEqualTo(60);
        assertThat(index.size()).isEqualTo(KEYS + 1);
        assertThat(index.compactedBytes()).as("the counters came with the state").isEqualTo(
                new KeyIndex(generation(60)).compactedBytes());
    }

    @Test
    void readersSeeWholeBatchesWhileTheLogIsCompactedUnderThem() throws Exception {
        int stable = 500;
        Map<String, Value> before;
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir)
                .withCompaction(new CompactionPolicy(false, 0, 1)))) {
            for (int i = 0; i < stable; i++) {
                store.put("stable/" + i, Value.of((long) i), NONE);
            }
            store.batch(pair(0));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<String> failure = new AtomicReference<>();
            AtomicLong reads = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            threads.add(new Thread(() -> {
                try {
                    for (long i = 1; !stop.get(); i++) {
                        store.batch(pair(i));
                    }
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, "a batch failed: " + e);
                }
            }));
            for (int t = 0; t < 2; t++) {
                threads.add(new Thread(() -> {
                    long lastRevision = 0;
                    while (!stop.get() && failure.get() == null) {
                        List<Map.Entry<String, Entry>> page = store.list("pair/", null, 10).entries();
                        Entry x = page.get(0).getValue();
                        Entry y = page.get(1).getValue();
                        if (!x.equals(y) || x.revision() < lastRevision) {
                            failure.compareAndSet(null, "pair x=" + x + " y=" + y + " after revision " + lastRevision);
                        }
                        lastRevision = x.revision();
                        int i = (int) (lastRevision % stable);
                        Entry s = store.get("stable/" + i);
                        if (s == null || !s.value().equals(Value.of((long) i)) || store.size() != stable + 2) {
                            failure.compareAndSet(null, "stable/" + i + " read as " + s + ", size " + store.size());
                        }
                        reads.incrementAndGet();
                    }
                }));
            }
            threads.forEach(Thread::start);
            try {
                for (int c = 0; c < 5 && failure.get() == null; c++) {
                    assertThat(store.compact().completed()).isTrue();
                }
            } finally {
                stop.set(true);
                for (Thread t : threads) {
                    t.join(30_000);
                }
            }
            assertThat(failure.get()).isNull();
            assertThat(reads.get()).isPositive();
            assertThat(store.status().compaction().completed()).isEqualTo(5);
            before = store.entries();
        }
        try (WalKeyValueStore reopened = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
            assertThat(reopened.entries()).isEqualTo(before);
        }
    }

    private static List<BatchOperation> pair(long i) {
        return List.of(BatchOperation.set("pair/x", Value.of(i), NONE), BatchOperation.set("pair/y", Value.of(i),
                NONE));
    }
}
