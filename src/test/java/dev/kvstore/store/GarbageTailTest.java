package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up and {@code verify} decide in time linear in the log, however many bytes follow the first bad frame: the
 * search for a sound frame after it checks each offset's header before it computes any CRC, and gives up (refusing)
 * rather than stream CRCs without bound. The figures are printed; the only timing assertion is a bound far above
 * them, which a search that streamed a CRC per offset (minutes for 22 MB before this) could not meet.
 */
class GarbageTailTest {

    private static final int TAIL = 64 << 20;
    /** Far above the figures printed (well under a second each on 2 shared cores), far below a quadratic search. */
    private static final long BOUND_SECONDS = 30;

    @TempDir
    Path dir;

    @Test
    void sixtyFourMiBOfRandomBytesAfterValidFramesAreDecidedInSecondsAtStartAndInVerify() throws IOException {
        long seed = Long.getLong("kv.test.seed", new SplittableRandom().nextLong());
        System.out.printf("GarbageTailTest: random tail from seed %d (-Dkv.test.seed=%d)%n", seed, seed);
        Map<String, Value> state = writeFrames(StoreOptions.defaults(dir));
        Path log = dir.resolve(StoreOptions.LOG_FILE_NAME);
        long valid = Files.size(log);
        appendRandom(log, TAIL, new SplittableRandom(seed));
        LogInspector inspector = new LogInspector(LogStorage.files(), StoreOptions.defaults(dir).format());

        // The mark says the log is written under always: one write call cannot leave 64 MiB, so this is damage.
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> WalKeyValueStore.open(StoreOptions.defaults(dir)))
                .isInstanceOfSatisfying(LogCorruptedException.class, e -> {
                    assertThat(e.offset()).isEqualTo(valid);
                    assertThat(e.reason()).isEqualTo(LogCorruptedException.Reason.MORE_THAN_ONE_WRITE);
                });
        long refusedMs = millisSince(t0);
        assertThat(Files.size(log)).isEqualTo(valid + TAIL);

        // Without the mark, a crash may have left any amount: the whole tail is searched, and no frame is in it.
        Files.delete(DataDirectory.markOf(log));
        t0 = System.nanoTime();
        LogInspector.Report verified = inspector.verify(log);
        long verifyMs = millisSince(t0);
        assertThat(verified.diagnosis().kind()).isEqualTo(Diagnosis.Kind.TORN_TAIL);
        assertThat(verified.diagnosis().validBytes()).isEqualTo(valid);

        t0 = System.nanoTime();
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
            long startMs = millisSince(t0);
            assertThat(store.status().lastRecovery().diagnosis().kind()).isEqualTo(Diagnosis.Kind.TORN_TAIL);
            assertThat(store.status().lastRecovery().bytesCut()).isEqualTo(TAIL);
            assertThat(store.entries()).isEqualTo(state);
            System.out.printf("GarbageTailTest: 64 MiB of random bytes after %d bytes of frames: start refused it in"
                    + " %d ms under an always mark; without a mark verify decided in %d ms and start in %d ms"
                    + " (search, copy of the 64 MiB aside, cut)%n", valid, refusedMs, verifyMs, startMs);
            assertThat(startMs).isLessThan(TimeUnit.SECONDS.toMillis(BOUND_SECONDS));
        }
        assertThat(refusedMs).isLessThan(TimeUnit.SECONDS.toMillis(BOUND_SECONDS));
        assertThat(verifyMs).isLessThan(TimeUnit.SECONDS.toMillis(BOUND_SECONDS));
    }

    @Test
    void aTailWithAFrameHeaderAtEveryOffsetIsRefusedInsteadOfSearchedWithoutBound() throws IOException {
        Map<String, Value> state = writeFrames(StoreOptions.defaults(dir));
        Path log = dir.resolve(StoreOptions.LOG_FILE_NAME);
        long valid = Files.size(log);
        // 16-byte headers back to back, each consistent (total_len = 16 + key_len + value_len) and claiming a 1 MiB
        // frame inside the file, each with a CRC that fails: checking them all would stream 8 TiB.
        int region = 8 << 20;
        ByteBuffer b = ByteBuffer.allocate(region).order(ByteOrder.LITTLE_ENDIAN);
        int totalLen = 1 << 20;
        while (b.remaining() >= Frame.KEY_OFFSET) {
            b.putInt(totalLen).put((byte) 0xAA).put(Frame.VERSION_SEED).put(Frame.OP_SET).put(Frame.ENCODING_UTF8)
                    .putInt(0).putInt(totalLen - Frame.FIXED_TOTAL_LEN);
        }
        Files.write(log, b.array(), StandardOpenOption.APPEND);
        Files.delete(DataDirectory.markOf(log));

        long t0 = System.nanoTime();
        assertThatThrownBy(() -> WalKeyValueStore.open(StoreOptions.defaults(dir)))
                .isInstanceOfSatisfying(LogCorruptedException.class, e -> {
                    assertThat(e.offset()).isEqualTo(valid);
                    assertThat(e.reason()).isEqualTo(LogCorruptedException.Reason.UNDECIDED);
                    assertThat(e.getMessage()).contains("gave up");
                });
        long refusedMs = millisSince(t0);
        System.out.printf("GarbageTailTest: 8 MiB of frame headers at every 16th byte refused in %d ms%n", refusedMs);
        assertThat(refusedMs).isLessThan(TimeUnit.SECONDS.toMillis(BOUND_SECONDS));
        assertThat(Files.size(log)).isEqualTo(valid + region);
        // The operator's way out keeps the valid prefix.
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir).withRepair(true))) {
            assertThat(store.entries()).isEqualTo(state);
        }
    }

    private static Map<String, Value> writeFrames(StoreOptions options) throws IOException {
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            for (int i = 0; i < 1000; i++) {
                store.put("k" + i, Value.of("value " + i), NONE);
            }
            return store.entries();
        }
    }

    private static void appendRandom(Path log, int bytes, SplittableRandom rnd) throws IOException {
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
            for (int written = 0; written < bytes; written += chunk.length) {
                rnd.nextBytes(chunk);
                out.write(chunk);
            }
        }
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
