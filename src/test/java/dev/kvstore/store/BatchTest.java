package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batches: one revision, all or nothing, in memory, on disk and after a crash at any byte of their frame. */
class BatchTest {

    @TempDir
    Path tmp;

    private static final List<BatchOperation> BATCH = List.of(
            BatchOperation.set("a", Value.of(10L), Precondition.ifRevision(1)),
            BatchOperation.set("new", Value.of("x"), Precondition.ifAbsent()),
            BatchOperation.delete("b", Precondition.NONE),
            BatchOperation.delete("never", Precondition.NONE));

    private WalKeyValueStore open(Path dir) throws IOException {
        return WalKeyValueStore.open(StoreOptions.defaults(dir));
    }

    @Test
    void aBatchAppliesEveryOperationUnderOneRevision() throws IOException {
        try (WalKeyValueStore store = open(tmp)) {
            store.put("a", Value.of(1L), NONE);
            store.put("b", Value.of(2L), NONE);
            BatchResult r = store.batch(BATCH);
            assertThat(r.applied()).isTrue();
            assertThat(r.revision()).isEqualTo(3);
            assertThat(r.results()).extracting(WriteResult::outcome).containsExactly(WriteOutcome.REPLACED,
                    WriteOutcome.CREATED, WriteOutcome.DELETED, WriteOutcome.NOT_FOUND);
            assertThat(store.get("a")).isEqualTo(new Entry(Value.of(10L), 3, 1));
            assertThat(store.get("new")).isEqualTo(new Entry(Value.of("x"), 3, 3));
            assertThat(store.get("b")).isNull();
            assertThat(store.revision()).isEqualTo(3);
        }
        try (WalKeyValueStore store = open(tmp)) {
            assertThat(store.get("a")).isEqualTo(new Entry(Value.of(10L), 3, 1));
            assertThat(store.get("new")).isEqualTo(new Entry(Value.of("x"), 3, 3));
            assertThat(store.get("b")).isNull();
            assertThat(store.revision()).isEqualTo(3);
        }
    }

    @Test
    void oneFailedPreconditionAppliesNothingAndSaysWhich() throws IOException {
        try (WalKeyValueStore store = open(tmp)) {
            store.put("a", Value.of(1L), NONE);
            store.put("new", Value.of("already"), NONE);
            long size = store.status().logBytes();
            BatchResult r = store.batch(BATCH);
            assertThat(r.applied()).isFalse();
            assertThat(r.failedIndex()).isEqualTo(1);
            assertThat(r.results()).extracting(WriteResult::outcome).containsExactly(WriteOutcome.ABORTED,
                    WriteOutcome.PRECONDITION_FAILED, WriteOutcome.ABORTED, WriteOutcome.ABORTED);
            assertThat(r.results().get(1).entry()).isEqualTo(new Entry(Value.of("already"), 2, 2));
            assertThat(store.get("a").value()).isEqualTo(Value.of(1L));
            assertThat(store.status().logBytes()).isEqualTo(size);
            assertThat(store.revision()).isEqualTo(2);
        }
    }

    @Test
    void aBatchThatIsEmptyRepeatsAKeyOrExceedsTheLimitsIsRefused() throws IOException {
        StoreOptions options = StoreOptions.defaults(tmp).withBatchLimits(3, 1000);
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            assertThatThrownBy(() -> store.batch(List.of())).isInstanceOfSatisfying(InvalidEntryException.class,
                    e -> assertThat(e.reason()).isEqualTo(InvalidEntryException.Reason.INVALID_BATCH));
            assertThatThrownBy(() -> store.batch(List.of(BatchOperation.delete("k", null),
                    BatchOperation.set("k", Value.of(1L), null)))).hasMessageContaining("repeats the key \"k\"");
            List<BatchOperation> four = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                four.add(BatchOperation.delete("k" + i, null));
            }
            assertThatThrownBy(() -> store.batch(four)).isInstanceOfSatisfying(InvalidEntryException.class,
                    e -> assertThat(e.reason()).isEqualTo(InvalidEntryException.Reason.BATCH_TOO_LARGE));
            assertThatThrownBy(() -> store.batch(List.of(BatchOperation.set("k", Value.of("v".repeat(1000)), null))))
                    .hasMessageContaining("limit is 1000");
            assertThat(store.revision()).isZero();
        }
    }

    @Test
    void readersNeverSeeHalfABatch() throws Exception {
        try (WalKeyValueStore store = open(tmp)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<String> torn = new AtomicReference<>();
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                boolean listing = t > 0;
                readers.add(new Thread(() -> {
                    while (!stop.get() && torn.get() == null) {
                        Value x;
                        Value y;
                        if (listing) {
                            List<Map.Entry<String, Entry>> page = store.list("pair/", null, 10).entries();
                            x = page.isEmpty() ? null : page.get(0).getValue().value();
                            y = page.size() < 2 ? null : page.get(1).getValue().value();
                        } else {
                            // Two reads in a row: the second must not be older than the first.
                            x = valueOf(store.get("pair/x"));
                            y = valueOf(store.get("pair/y"));
                            if (x != null && (y == null || ((Value.Int) y).value() < ((Value.Int) x).value())) {
                                torn.set("read x=" + x + " then y=" + y);
                            }
                            continue;
                        }
                        if (x != null && !x.equals(y)) {
                            torn.set("page x=" + x + " y=" + y);
                        }
                    }
                }));
            }
            readers.forEach(Thread::start);
            for (long i = 0; i < 2000; i++) {
                store.batch(List.of(BatchOperation.set("pair/x", Value.of(i), null),
                        BatchOperation.set("pair/y", Value.of(i), null)));
            }
            stop.set(true);
            for (Thread t : readers) {
                t.join();
            }
            assertThat(torn.get()).isNull();
        }
    }

    /** The log of: two sets, then a batch (its frame is the last bytes); returns where the batch frame starts. */
    private long logEndingInABatch(Path dir) throws IOException {
        try (WalKeyValueStore store = open(dir)) {
            store.put("a", Value.of(1L), NONE);
            store.put("b", Value.of(2L), NONE);
            long start = store.status().logBytes();
            assertThat(store.batch(BATCH).applied()).isTrue();
            return start;
        }
    }

    @Test
    void aCrashAtAnyByteOfABatchFrameRecoversAllOfItOrNone() throws IOException {
        Path source = tmp.resolve("source");
        long start = logEndingInABatch(source);
        byte[] log = Files.readAllBytes(source.resolve(StoreOptions.LOG_FILE_NAME));
        Map<String, Value> before = Map.of("a", Value.of(1L), "b", Value.of(2L));
        Map<String, Value> after = Map.of("a", Value.of(10L), "new", Value.of("x"));
        for (int cut = (int) start; cut <= log.length; cut++) {
            Path dir = tmp.resolve("cut-" + cut);
            Files.createDirectories(dir);
            Files.write(dir.resolve(StoreOptions.LOG_FILE_NAME), Arrays.copyOf(log, cut));
            try (WalKeyValueStore store = open(dir)) {
                boolean whole = cut == log.length;
                assertThat(store.entries()).as("state after a cut at %d", cut).isEqualTo(whole ? after : before);
                assertThat(store.revision()).as("revision after a cut at %d", cut).isEqualTo(whole ? 3 : 2);
                assertThat(store.status().lastRecovery().bytesCut()).isEqualTo(whole ? 0 : cut - start);
            }
        }
    }

    @Test
    void aBatchFrameZeroedFromAnyByteToTheEndIsATornTail() throws IOException {
        Path source = tmp.resolve("source");
        long start = logEndingInABatch(source);
        byte[] log = Files.readAllBytes(source.resolve(StoreOptions.LOG_FILE_NAME));
        for (int from = (int) start; from < log.length; from++) {
            byte[] zeroed = log.clone();
            Arrays.fill(zeroed, from, zeroed.length, (byte) 0);
            Path dir = tmp.resolve("zero-" + from);
            Files.createDirectories(dir);
            Files.write(dir.resolve(StoreOptions.LOG_FILE_NAME), zeroed);
            try (WalKeyValueStore store = open(dir)) {
                assertThat(store.entries()).as("zeroed from %d", from)
                        .isEqualTo(Map.of("a", Value.of(1L), "b", Value.of(2L)));
            }
        }
    }

    @Test
    void aFlippedBitInsideABatchWithAWriteAfterItIsDamageNotACut() throws IOException {
        Path source = tmp.resolve("source");
        long start = logEndingInABatch(source);
        try (WalKeyValueStore store = open(source)) {
            store.put("after", Value.of(1L), NONE);
        }
        byte[] log = Files.readAllBytes(source.resolve(StoreOptions.LOG_FILE_NAME));
        int middle = (int) start + Frame.KEY_OFFSET_V2 + 40;
        log[middle] ^= 0x10;
        Path dir = tmp.resolve("flipped");
        Files.createDirectories(dir);
        Files.write(dir.resolve(StoreOptions.LOG_FILE_NAME), log);
        assertThatThrownBy(() -> open(dir)).isInstanceOfSatisfying(LogCorruptedException.class,
                e -> assertThat(e.offset()).isEqualTo(start));
        assertThat(Files.readAllBytes(dir.resolve(StoreOptions.LOG_FILE_NAME))).isEqualTo(log);
    }

    @Test
    void aBatchWhoseOuterCrcChecksOutButWhoseOperationsDoNotIsDamage() {
        LogFormat format = StoreOptions.defaults(tmp).format();
        byte[] op = Frame.encodeBatchOp(Frame.OP_SET, Frame.ENCODING_I64, Utf8.encode("k"), Frame.longBytes(1), 7);
        byte[] batch = Frame.encodeBatch(format.magic(), List.of(op), 7);
        assertThat(Frame.checkBody(batch, 0, format)).isNull();
        assertThat(Frame.decode(batch, 0)).isEqualTo(new LogRecord.Batch(7,
                List.of(new LogRecord.Set("k", Value.of(1L), 7, 7))));

        // An unknown op inside, the batch's CRC computed over it: written so, not torn.
        batch[Frame.batchOpsStart(0) + Frame.BATCH_OP_OP_OFFSET] = 0x07;
        Frame.stamp(batch, 0, 7, 0);
        assertThat(Frame.checkBody(batch, 0, format)).isEqualTo(FrameDefect.BAD_BATCH);
        assertThat(FrameDefect.BAD_BATCH.isChecksummed()).isTrue();

        // A key created after the batch that sets it.
        byte[] later = Frame.encodeBatch(format.magic(), List.of(
                Frame.encodeBatchOp(Frame.OP_SET, Frame.ENCODING_I64, Utf8.encode("k"), Frame.longBytes(1), 8)), 7);
        assertThat(Frame.checkBody(later, 0, format)).isEqualTo(FrameDefect.BAD_BATCH);

        // Operations that overrun the value.
        byte[] overrun = Frame.encodeBatch(format.magic(), List.of(op), 7);
        overrun[Frame.batchOpsStart(0) + Frame.BATCH_OP_KEY_LEN_OFFSET] = 2;
        Frame.stamp(overrun, 0, 7, 0);
        assertThat(Frame.checkBody(overrun, 0, format)).isEqualTo(FrameDefect.BAD_BATCH);
    }

    @Test
    void listingsAreInCodePointOrderAndPageByKey() throws IOException {
        try (WalKeyValueStore store = open(tmp)) {
            // U+E000 sorts after U+1F600 in Java's UTF-16 order, before it in code point (UTF-8 byte) order.
            List<String> keys = List.of("p/", "p/a", "p/a/b", "p/z", "p/é", "p/\uE000", "p/\uD83D\uDE00", "q", "o");
            for (String k : keys) {
                store.put(k, Value.of(k), NONE);
            }
            List<String> all = new ArrayList<>();
            String after = null;
            while (true) {
                Page page = store.list("p/", after, 2);
                page.entries().forEach(e -> all.add(e.getKey()));
                if (!page.more()) {
                    break;
                }
                after = page.entries().get(page.entries().size() - 1).getKey();
                assertThat(page.entries()).hasSize(2);
            }
            assertThat(all).containsExactly("p/", "p/a", "p/a/b", "p/z", "p/é", "p/\uE000", "p/\uD83D\uDE00");
            List<String> byUtf8 = new ArrayList<>(all);
            byUtf8.sort((x, y) -> Arrays.compareUnsigned(Utf8.encode(x), Utf8.encode(y)));
            assertThat(all).isEqualTo(byUtf8);
            assertThat(store.list("p/a", "p/a", 10).entries()).extracting(Map.Entry::getKey).containsExactly("p/a/b");
            // A cursor key that was deleted, or lies before the prefix, still positions the page.
            store.delete("p/a", NONE);
            assertThat(store.list("p/", "p/a", 1).entries()).extracting(Map.Entry::getKey).containsExactly("p/a/b");
            assertThat(store.list("p/", "a", 1).entries()).extracting(Map.Entry::getKey).containsExactly("p/");
            assertThat(store.list("zzz", null, 5).entries()).isEmpty();
            Map<String, Value> listed = new HashMap<>();
            store.list("", null, 100).entries().forEach(e -> listed.put(e.getKey(), e.getValue().value()));
            assertThat(listed).isEqualTo(store.entries());
        }
    }

    /** The value of an entry read from the store, or {@code null} when the key had none. */
    private static Value valueOf(Entry e) {
        return e == null ? null : e.value();
    }
}
