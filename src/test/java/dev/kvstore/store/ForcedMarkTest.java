package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forced mark tells the truth: it follows every force, records the sync mode and the largest write call, and
 * recovery neither depends on its lag (damage just past a lagging mark is refused, not cut as a lost write) nor
 * ignores a mark past the end of the log (forced data is missing). A mark of another log is ignored and reported;
 * a failed write of the mark is reported.
 */
class ForcedMarkTest {

    /** Limits small enough that one write call holds at most a group, 1 MiB. */
    private static final int VALUE_LIMIT = 64 << 10;

    @TempDir
    Path dir;

    private StoreOptions options() {
        return StoreOptions.defaults(dir).withLimits(1024, VALUE_LIMIT)
                .withBatchLimits(StoreOptions.DEFAULT_MAX_BATCH_OPERATIONS, VALUE_LIMIT)
                .withCompaction(new CompactionPolicy(false, 0, 2.0))
                .withCompression(Integer.MAX_VALUE); // frames as large as their values: the tests count write calls
    }

    private Path log() {
        return dir.resolve(StoreOptions.LOG_FILE_NAME);
    }

    private Path markPath() {
        return DataDirectory.markOf(log());
    }

    @Test
    void theMarkFollowsEveryForceAndRecordsTheModeAndTheLargestWriteCall() throws Exception {
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            for (int i = 0; i < 50; i++) {
                store.put("k" + i, Value.of((long) i), NONE);
                long written = store.status().logBytes();
                awaitTrue(() -> store.status().markedBytes() == written, "the mark caught up with the force");
                ForcedMark mark = new DataDirectory(LogStorage.files(), log()).readMark();
                assertThat(mark.forced()).isEqualTo(written);
            }
            ForcedMark mark = new DataDirectory(LogStorage.files(), log()).readMark();
            assertThat(mark.sync()).isEqualTo(SyncMode.ALWAYS);
            assertThat(mark.maxWrite()).isEqualTo(GroupCommitWriter.GROUP_BYTES);
        }
    }

    @Test
    void damageJustPastALaggingMarkWithMoreThanOneGroupOfSoundFramesAfterItIsRefused() throws IOException {
        long lagging = writeThenKeepALaggingMark(SyncMode.ALWAYS);
        byte[] log = Files.readAllBytes(log());
        assertThat(log.length - lagging).as("sound frames after the mark").isGreaterThan(2L * GroupCommitWriter.GROUP_BYTES);
        log[(int) lagging + Frame.KEY_OFFSET_V2] ^= 0x04; // a flipped bit in the key of the first frame past the mark
        Files.write(log(), log);

        assertThatThrownBy(() -> WalKeyValueStore.open(options()))
                .isInstanceOfSatisfying(LogCorruptedException.class, e -> {
                    assertThat(e.offset()).isEqualTo(lagging);
                    assertThat(e.defect()).isEqualTo(FrameDefect.BAD_CRC);
                    assertThat(e.reason()).isEqualTo(LogCorruptedException.Reason.MORE_THAN_ONE_WRITE);
                });
        assertThat(Files.readAllBytes(log())).isEqualTo(log);
    }

    @Test
    void aFlippedBitPastTheMarkWithinOneWriteCallIsRefusedToo() throws IOException {
        long lagging = writeThenKeepALaggingMark(SyncMode.ALWAYS);
        byte[] log = Files.readAllBytes(log());
        // The last frame but one: a sound frame follows, well within one write call of the end.
        long target = lastFrames(log, 2);
        log[(int) target + Frame.KEY_OFFSET_V2] ^= 0x04;
        Files.write(log(), log);

        assertThat(target).isGreaterThan(lagging);
        assertThatThrownBy(() -> WalKeyValueStore.open(options()))
                .isInstanceOfSatisfying(LogCorruptedException.class, e -> {
                    assertThat(e.offset()).isEqualTo(target);
                    assertThat(e.reason()).isEqualTo(LogCorruptedException.Reason.FRAME_FOLLOWS);
                });
        assertThat(Files.readAllBytes(log())).isEqualTo(log);
    }

    @Test
    void aLostPageJustPastTheMarkIsDamageUnderAlwaysButACrashTraceUnderInterval() throws IOException {
        long lagging = writeThenKeepALaggingMark(SyncMode.ALWAYS);
        byte[] log = Files.readAllBytes(log());
        long sector = (lagging / 512 + 1) * 512;
        java.util.Arrays.fill(log, (int) sector, (int) sector + 512, (byte) 0); // what a page never written back leaves
        Files.write(log(), log);

        // Under always, more than one write call follows: no crash left this.
        assertThatThrownBy(() -> WalKeyValueStore.open(options()))
                .isInstanceOfSatisfying(LogCorruptedException.class, e ->
                        assertThat(e.reason()).isEqualTo(LogCorruptedException.Reason.MORE_THAN_ONE_WRITE));
        assertThat(Files.readAllBytes(log())).isEqualTo(log);

        // The same bytes beside a mark that says interval: everything past the mark may have been unforced.
        try (LogChannel ch = LogStorage.files().openReadOnly(log());
             LogChannel markFile = LogStorage.files().open(markPath(), false)) {
            ForcedMark.of(ch, lagging, SyncMode.INTERVAL, GroupCommitWriter.GROUP_BYTES).write(markFile);
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            assertThat(store.status().lastRecovery().diagnosis().kind()).isEqualTo(Diagnosis.Kind.LOST_WRITE);
            assertThat(store.status().lastRecovery().diagnosis().sync()).isEqualTo(SyncMode.INTERVAL);
            assertThat(store.status().lastRecovery().validBytes()).isGreaterThanOrEqualTo(lagging).isLessThan(sector);
        }
    }

    @Test
    void aLogShorterThanItsMarkIsRefusedAsMissingForcedDataAndRepairStartsFromWhatIsThere() throws IOException {
        Map<String, Value> all;
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            for (int i = 0; i < 100; i++) {
                store.put("k" + i, Value.of((long) i), NONE);
            }
            all = store.entries();
        }
        byte[] whole = Files.readAllBytes(log());
        long cut = lastFrames(whole, 10);
        byte[] shorter = java.util.Arrays.copyOf(whole, (int) cut);
        Files.write(log(), shorter);

        assertThatThrownBy(() -> WalKeyValueStore.open(options()))
                .isInstanceOfSatisfying(LogCorruptedException.class, e -> {
                    assertThat(e.reason()).isEqualTo(LogCorruptedException.Reason.FORCED_DATA_MISSING);
                    assertThat(e.getMessage()).contains("forced data is missing", "first " + whole.length + " bytes");
                });
        assertThat(Files.readAllBytes(log())).isEqualTo(shorter);
        assertThat(new LogInspector(LogStorage.files(), options().format()).verify(log()).diagnosis().reason())
                .isEqualTo(LogCorruptedException.Reason.FORCED_DATA_MISSING);

        try (WalKeyValueStore store = WalKeyValueStore.open(options().withRepair(true))) {
            assertThat(store.status().lastRecovery().diagnosis().mark()).isEqualTo(Diagnosis.Mark.PAST_END);
            assertThat(store.status().lastRecovery().repaired()).isTrue();
            assertThat(Files.readAllBytes(store.status().lastRecovery().setAside())).isEqualTo(shorter);
            assertThat(store.size()).isEqualTo(all.size() - 10);
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            assertThat(store.status().lastRecovery().diagnosis().mark()).isEqualTo(Diagnosis.Mark.MATCHED);
            assertThat(store.size()).isEqualTo(all.size() - 10);
        }
    }

    @Test
    void aMissingLogBesideAMarkOfForcedDataIsRefused() throws IOException {
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            store.put("k", Value.of(1L), NONE);
        }
        Files.delete(log());

        assertThatThrownBy(() -> WalKeyValueStore.open(options()))
                .isInstanceOfSatisfying(LogCorruptedException.class, e -> {
                    assertThat(e.reason()).isEqualTo(LogCorruptedException.Reason.FORCED_DATA_MISSING);
                    assertThat(e.getMessage()).contains("remove kvstore.log.forced too");
                });
        // Removing the mark as well says the log was removed on purpose: the store starts empty.
        Files.delete(markPath());
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            assertThat(store.size()).isZero();
        }
    }

    @Test
    void aMarkOfAnotherLogIsIgnoredAndReported() throws IOException {
        Path other = dir.resolve("other");
        try (WalKeyValueStore a = WalKeyValueStore.open(options());
             WalKeyValueStore b = WalKeyValueStore.open(StoreOptions.defaults(other))) {
            for (int i = 0; i < 100; i++) {
                a.put("a" + i, Value.of((long) i), NONE);
            }
            b.put("b", Value.of("a longer value, so that the logs differ everywhere"), NONE);
        }
        Files.copy(DataDirectory.markOf(other.resolve(StoreOptions.LOG_FILE_NAME)), markPath(),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            assertThat(store.status().lastRecovery().diagnosis().mark()).isEqualTo(Diagnosis.Mark.OTHER_LOG);
            assertThat(store.status().lastRecovery().diagnosis().forced()).isEqualTo(-1);
            assertThat(store.size()).isEqualTo(100);
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(options())) {
            assertThat(store.status().lastRecovery().diagnosis().mark()).as("rewritten for this log").isEqualTo(Diagnosis.Mark.MATCHED);
        }
    }

    @Test
    void aFailedWriteOfTheMarkIsReportedAndTheMarkCatchesUpOnceItWorksAgain() throws Exception {
        FaultInjectingStorage disk = new FaultInjectingStorage();
        try (WalKeyValueStore store = WalKeyValueStore.open(options(), disk, Clock.systemUTC())) {
            store.put("a", Value.of(1L), NONE);
            disk.failMarkWrites = new IOException("Input/output error on the mark");
            store.put("b", Value.of(2L), NONE);
            awaitTrue(() -> store.status().markFailure() != null, "the failure was reported");
            assertThat(store.status().markFailure()).contains("Input/output error on the mark");
            assertThat(store.status().writable()).as("the log itself is fine").isTrue();
            assertThat(store.status().markedBytes()).isLessThan(store.status().logBytes());

            disk.failMarkWrites = null;
            store.put("c", Value.of(3L), NONE);
            awaitTrue(() -> store.status().markFailure() == null
                    && store.status().markedBytes() == store.status().logBytes(), "the mark caught up");
        }
    }

    /**
     * Writes a few frames and closes (the mark then says all of them were forced), keeps that mark, writes more than
     * two groups' worth of frames, closes, and puts the kept mark back: a mark that lags the log. Returns its bytes.
     */
    private long writeThenKeepALaggingMark(SyncMode mode) throws IOException {
        try (WalKeyValueStore store = WalKeyValueStore.open(options().withSync(mode, Duration.ofSeconds(1)))) {
            for (int i = 0; i < 20; i++) {
                store.put("early" + i, Value.of((long) i), NONE);
            }
        }
        byte[] lagging = Files.readAllBytes(markPath());
        String value = "x".repeat(8000);
        try (WalKeyValueStore store = WalKeyValueStore.open(options().withSync(mode, Duration.ofSeconds(1)))) {
            for (int i = 0; i < 400; i++) {
                store.put("late" + i, Value.of(value), NONE);
            }
        }
        Files.write(markPath(), lagging);
        return new DataDirectory(LogStorage.files(), log()).readMark().forced();
    }

    /** The offset of the {@code n}th frame from the end of {@code log}. */
    private static long lastFrames(byte[] log, int n) {
        java.util.List<Integer> starts = new java.util.ArrayList<>();
        for (int pos = 0; pos < log.length; pos += (int) (Frame.LENGTH_FIELD_BYTES + Frame.totalLength(log, pos))) {
            starts.add(pos);
        }
        return starts.get(starts.size() - n);
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as(what).isNegative();
            Thread.sleep(1);
        }
    }
}
