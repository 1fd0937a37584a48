package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Large string values are stored compressed in the log (encoding 0x03), and nothing else changes: reads, restarts,
 * batches, compaction, snapshots and the offline tool see the plain value; small values, numbers, values that do not
 * shrink and every frame written before keep the plain encodings; a compressed frame that is not what it says is
 * damage, found at start.
 */
class CompressionTest {

    @TempDir
    Path dir;

    private static final LogFormat FORMAT = new LogFormat(StoreOptions.DEFAULT_MAGIC, 1024, 4 << 20);

    /** About 8 KiB of JSON that LZ4 shrinks several times over. */
    private static String json(int records) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < records; i++) {
            sb.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"id\":%d,\"name\":\"user %d\",\"email\":\"user%d@example.com\",\"active\":true,\"tags\":[\"a\",\"b\"]}",
                    i, i, i));
        }
        return sb.append("]").toString();
    }

    private static String random(int chars, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < chars; i++) {
            sb.append((char) (0x21 + r.nextInt(0x5E)));
        }
        return sb.toString();
    }

    /** The encoding byte of each frame of the log, in order (batch frames: of their operations). */
    private static List<Byte> encodings(Path log) throws IOException {
        List<Byte> out = new ArrayList<>();
        byte[] bytes = Files.readAllBytes(log);
        for (int pos = 0; pos < bytes.length; ) {
            Frame.visit(bytes, pos, new Frame.Ops() {
                @Override
                public void set(byte[] buf, int keyAt, int keyLen, byte encoding, int valueAt, int valueLen, long r,
                                long c, long lease) {
                    out.add(encoding);
                }

                @Override
                public void delete(byte[] buf, int keyAt, int keyLen, long revision) {
                }

                @Override
                public void revision(long revision) {
                }
            });
            pos += (int) (Frame.LENGTH_FIELD_BYTES + Frame.totalLength(bytes, pos));
        }
        return out;
    }

    @Test
    void largeStringsAreStoredCompressedAndReadBackPlainEverywhere() throws IOException {
        String big = json(100);
        String noise = random(4000, 7);
        String small = "x".repeat(1023);
        // No change history (the watch feed's): a compacted log is then the state alone, which this test counts.
        StoreOptions options = StoreOptions.defaults(dir).withHistoryRetention(1);
        Map<String, Value> state;
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            store.put("big", Value.of(big), NONE);
            store.put("noise", Value.of(noise), NONE);
            store.put("small", Value.of(small), NONE);
            store.put("n", Value.of(42L), NONE);
            store.batch(List.of(BatchOperation.set("in-batch", Value.of(big + "!"), NONE),
                    BatchOperation.set("tiny", Value.of("t"), NONE)));
            assertThat(store.get("big").value()).isEqualTo(Value.of(big));
            assertThat(encodings(options.logFile())).containsExactly(Frame.ENCODING_UTF8_LZ4, Frame.ENCODING_UTF8,
                    Frame.ENCODING_UTF8, Frame.ENCODING_I64, Frame.ENCODING_UTF8_LZ4, Frame.ENCODING_UTF8);
            long plain = big.length() * 2L + 1 + noise.length() + small.length();
            assertThat(Files.size(options.logFile())).as("the log is smaller than the plain values alone")
                    .isLessThan(plain - big.length());
            // Six live keys, none overwritten: their SET frames take what the four frames and the batch of two take
            // (a batch spends 36 bytes on its frame and 18 per operation, a SET 36); a compacted log adds its
            // REVISION frame, and the HISTORY frame that ends its state.
            assertThat(store.status().liveBytes()).as("live bytes count the compressed frames")
                    .isEqualTo(Files.size(options.logFile()) + 2 * Frame.OVERHEAD_V2);
            state = store.entries();
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            assertThat(store.entries()).as("after a replay").isEqualTo(state);
            long before = Files.size(options.logFile());
            CompactionResult r = store.compact();
            assertThat(r.bytesAfter()).isEqualTo(store.status().liveBytes());
            assertThat(encodings(options.logFile())).as("compaction keeps the stored form")
                    .contains(Frame.ENCODING_UTF8_LZ4);
            // Nothing was overwritten: the compacted log is the same frames (the batch's two operations as two SETs
            // of the same size) between its REVISION and HISTORY frames, so the values kept their compressed form.
            assertThat(r.bytesAfter()).isEqualTo(before + 2 * Frame.OVERHEAD_V2);
            assertThat(store.entries()).isEqualTo(state);
            try (Snapshot s = store.snapshot()) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                s.transferTo(out);
                Path restoredDir = dir.resolve("restored");
                Files.createDirectories(restoredDir);
                Files.write(restoredDir.resolve(StoreOptions.LOG_FILE_NAME), out.toByteArray());
                try (WalKeyValueStore restored = WalKeyValueStore.open(StoreOptions.defaults(restoredDir))) {
                    assertThat(restored.entries()).as("a snapshot's replay").isEqualTo(state);
                }
            }
        }
        List<String> dumped = new ArrayList<>();
        LogInspector.Report report = new LogInspector(StoreOptions.DEFAULT_MAGIC, 1024, 4 << 20, 16 << 20)
                .dump(options.logFile(), f -> {
                    if ("big".equals(f.key())) {
                        dumped.add(((Value.Text) f.value()).value());
                    }
                });
        assertThat(report.diagnosis().kind()).isEqualTo(Diagnosis.Kind.SOUND);
        assertThat(dumped).as("the offline tool shows the plain value").containsExactly(big);
    }

    @Test
    void aLeasedKeysLargeStringIsCompressedInItsSetLeasedAndKeepsItsLeaseThroughReplayAndCompaction()
            throws IOException {
        String big = json(100);
        // No change history: a compacted log holds each live entry once (with history, the frames after its floor too).
        StoreOptions options = StoreOptions.defaults(dir).withHistoryRetention(1);
        byte lz4 = Frame.ENCODING_UTF8_LZ4;
        FullState state;
        long lease;
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            lease = store.grantLease(Duration.ofSeconds(60)).lease();
            store.execute(new Command.Put("leased", Value.of(big), NONE, KeyLease.of(lease)));
            store.batch(List.of(BatchOperation.set("in-batch", Value.of(big + "!"), NONE, KeyLease.of(lease)),
                    BatchOperation.set("plain", Value.of(big + "?"), NONE)));
            assertThat(encodings(options.logFile())).containsExactly(lz4, lz4, lz4);
            assertThat(store.get("leased").lease()).isEqualTo(lease);
            assertThat(store.get("leased").value()).isEqualTo(Value.of(big));
            assertThat(store.get("in-batch").lease()).isEqualTo(lease);
            assertThat(store.get("plain").lease()).isZero();
            state = FullState.of(store);
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            assertThat(FullState.of(store)).as("after a replay").isEqualTo(state);
            store.compact();
            assertThat(encodings(options.logFile())).as("compaction keeps the stored form")
                    .containsExactly(lz4, lz4, lz4);
            assertThat(FullState.of(store)).as("after a compaction").isEqualTo(state);
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            assertThat(FullState.of(store)).as("replaying the compacted log").isEqualTo(state);
            assertThat(store.revokeLease(lease, null).keys()).isEqualTo(2);
            assertThat(store.get("leased")).isNull();
            assertThat(store.get("in-batch")).isNull();
            assertThat(store.get("plain").value()).isEqualTo(Value.of(big + "?"));
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            assertThat(store.entries()).as("the revoke replays: it deletes the keys attached at that point")
                    .isEqualTo(Map.of("plain", Value.of(big + "?")));
        }
    }

    @Test
    void aStoreThatDoesNotCompressStillReadsCompressedFrames() throws IOException {
        String big = json(50);
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
            store.put("compressed", Value.of(big), NONE);
        }
        StoreOptions off = StoreOptions.defaults(dir).withCompression(Integer.MAX_VALUE);
        try (WalKeyValueStore store = WalKeyValueStore.open(off)) {
            assertThat(store.get("compressed").value()).isEqualTo(Value.of(big));
            store.put("plain", Value.of(big), NONE);
        }
        assertThat(encodings(off.logFile())).containsExactly(Frame.ENCODING_UTF8_LZ4, Frame.ENCODING_UTF8);
    }

    @Test
    void decidingWithValuesPreparedAheadGivesTheSameFrames() {
        StateMachine machine = new StateMachine(StoreOptions.DEFAULT_MAGIC, 1024);
        StateBuilder built = new StateBuilder(IdempotencyOptions.DEFAULT);
        AppliedState empty = new AppliedState(new KeyIndex(built.keys), built.leases, built.records);
        Command put = new Command.Put("k", Value.of(json(40)), NONE);
        Command batch = new Command.Batch(List.of(BatchOperation.set("a", Value.of(json(30)), NONE),
                BatchOperation.delete("b", NONE), BatchOperation.set("c", Value.of(1L), NONE)));
        for (Command c : List.of(put, batch)) {
            assertThat(machine.decide(empty, c, machine.prepare(c)).frame())
                    .isEqualTo(machine.decide(empty, c).frame());
        }
    }

    // ---- damage: a compressed frame whose envelope is sound but whose value is not what it says ----

    private void install(byte[]... frames) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] f : frames) {
            out.write(f);
        }
        Files.write(dir.resolve(StoreOptions.LOG_FILE_NAME), out.toByteArray());
    }

    private static byte[] compressedFrame(byte[] stored) {
        return Frame.encodeSetV2(StoreOptions.DEFAULT_MAGIC, Utf8.encode("k"),
                new Frame.Stored(Frame.ENCODING_UTF8_LZ4, stored), 1, 1);
    }

    private void assertRefused(FrameDefect defect) {
        assertThatThrownBy(() -> WalKeyValueStore.open(StoreOptions.defaults(dir)).close())
                .isInstanceOfSatisfying(LogCorruptedException.class, e -> {
                    assertThat(e.offset()).isZero();
                    assertThat(e.defect()).isEqualTo(defect);
                });
    }

    @Test
    void aBlockThatIsNotLz4IsRefused() throws IOException {
        // A block cut short, in a frame whose envelope and CRC are sound (a flipped literal byte would still decode).
        byte[] stored = Frame.stored(Value.of(json(20)), 0).bytes();
        install(compressedFrame(java.util.Arrays.copyOf(stored, stored.length - 3)));
        assertRefused(FrameDefect.BAD_VALUE);
    }

    @Test
    void aPlainLengthThatDoesNotMatchTheBlockIsRefused() throws IOException {
        byte[] stored = Frame.stored(Value.of(json(20)), 0).bytes();
        stored[0]++;
        install(compressedFrame(stored));
        assertRefused(FrameDefect.BAD_VALUE);
    }

    @Test
    void aPlainLengthOverTheValueLimitIsRefused() throws IOException {
        byte[] stored = Frame.stored(Value.of(json(20)), 0).bytes();
        stored[3] = 0x7F;
        install(compressedFrame(stored));
        assertRefused(FrameDefect.OVER_LIMIT);
    }

    @Test
    void compressedBytesThatAreNotUtf8AreRefused() throws IOException {
        byte[] notText = "x".repeat(2000).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        notText[1000] = (byte) 0xFF;
        install(compressedFrame(Compression.compress(notText)));
        assertRefused(FrameDefect.INVALID_UTF8);
    }

    @Test
    void theSeedLayoutHasNoCompressedEncoding() throws IOException {
        byte[] stored = Frame.stored(Value.of(json(20)), 0).bytes();
        install(Frame.encode(FORMAT, Frame.OP_SET, Frame.ENCODING_UTF8_LZ4, Utf8.encode("k"), stored));
        assertRefused(FrameDefect.UNKNOWN_ENCODING);
    }
}
