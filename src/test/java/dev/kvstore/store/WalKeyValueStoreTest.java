package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalKeyValueStoreTest {

    @TempDir
    Path tmp;

    @Test
    void createsTheDataDirectoryAndAnEmptyLog() throws IOException {
        Path dir = tmp.resolve("a/b/data");
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
            assertThat(dir.resolve("kvstore.log")).exists().isEmptyFile();
            assertThat(store.status().lastRecovery().created()).isTrue();
            assertThat(store.size()).isZero();
        }
    }

    @Test
    void setReportsCreatedThenReplacedAndDeleteReportsNotFoundWithoutWriting() throws IOException {
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(tmp))) {
            assertThat(store.put("k", Value.of("v1"), NONE).outcome()).isEqualTo(WriteOutcome.CREATED);
            assertThat(store.put("k", Value.of(2L), NONE).outcome()).isEqualTo(WriteOutcome.REPLACED);
            assertThat(store.delete("k", NONE).outcome()).isEqualTo(WriteOutcome.DELETED);
            long size = store.status().logBytes();
            assertThat(store.delete("k", NONE).outcome()).isEqualTo(WriteOutcome.NOT_FOUND);
            assertThat(store.delete("never", NONE).outcome()).isEqualTo(WriteOutcome.NOT_FOUND);
            assertThat(store.status().logBytes()).isEqualTo(size);
            assertThat(Files.size(tmp.resolve("kvstore.log"))).isEqualTo(size);
        }
    }

    @Test
    void everyTypeSurvivesARestartBitForBit() throws IOException {
        Map<String, Value> written = Map.of(
                "s", Value.of("välue ✓ 🙂"), "empty", Value.of(""),
                "min", Value.of(Long.MIN_VALUE), "max", Value.of(Long.MAX_VALUE),
                "negzero", Value.of(-0.0), "tiny", Value.of(Double.MIN_VALUE), "huge", Value.of(1e308),
                "ключ/ü🙂", Value.of(0.1));
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(tmp))) {
            written.forEach((k, v) -> store.put(k, v, NONE));
            store.put("gone", Value.of(1L), NONE);
            store.delete("gone", NONE);
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(tmp))) {
            assertThat(store.entries()).isEqualTo(written);
            assertThat(store.status().lastRecovery().framesReplayed()).isEqualTo(written.size() + 2);
        }
    }

    @Test
    void writesTheConfiguredMagicInVersionTwoFramesAndReadsThemBack() throws IOException {
        StoreOptions options = StoreOptions.defaults(tmp).withMagic((byte) 0x42);
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            store.put("k", Value.of(1L), NONE);
        }
        byte[] log = Files.readAllBytes(tmp.resolve("kvstore.log"));
        assertThat(log[Frame.MAGIC_OFFSET]).isEqualTo((byte) 0x42);
        assertThat(log[Frame.VERSION_OFFSET]).isEqualTo(Frame.VERSION_REVISIONS);
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            assertThat(store.get("k").value()).isEqualTo(Value.of(1L));
        }
        assertThatThrownBy(() -> WalKeyValueStore.open(StoreOptions.defaults(tmp)))
                .isInstanceOf(IncompatibleLogException.class);
    }

    @Test
    void refusesBadKeysAndValuesWithoutWriting() throws IOException {
        StoreOptions options = StoreOptions.defaults(tmp).withLimits(8, 16);
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            assertReason(() -> store.put("", Value.of(1L), NONE).outcome(), InvalidEntryException.Reason.EMPTY_KEY);
            assertReason(() -> store.put("123456789", Value.of(1L), NONE).outcome(), InvalidEntryException.Reason.KEY_TOO_LONG);
            assertReason(() -> store.put("ü1234567", Value.of(1L), NONE).outcome(), InvalidEntryException.Reason.KEY_TOO_LONG);
            assertReason(() -> store.put("k", Value.of("x".repeat(17)), NONE).outcome(), InvalidEntryException.Reason.VALUE_TOO_LARGE);
            assertReason(() -> store.put("k", Value.of("ü".repeat(9)), NONE).outcome(), InvalidEntryException.Reason.VALUE_TOO_LARGE);
            assertReason(() -> store.put("k", Value.of(Double.NaN), NONE).outcome(), InvalidEntryException.Reason.NOT_FINITE);
            assertReason(() -> store.put("k", Value.of(Double.NEGATIVE_INFINITY), NONE).outcome(),
                    InvalidEntryException.Reason.NOT_FINITE);
            assertReason(() -> store.put("k", Value.of("\uD800"), NONE).outcome(), InvalidEntryException.Reason.NOT_UNICODE);
            assertReason(() -> store.put("\uDC00", Value.of(1L), NONE).outcome(), InvalidEntryException.Reason.NOT_UNICODE);
            assertThat(store.put("12345678", Value.of("x".repeat(16)), NONE).outcome()).isEqualTo(WriteOutcome.CREATED);
            assertThat(store.size()).isEqualTo(1);
        }
        assertThat(Files.size(tmp.resolve("kvstore.log"))).isEqualTo(Frame.OVERHEAD_V2 + 8 + 16);
    }

    private static void assertReason(Runnable r, InvalidEntryException.Reason reason) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(InvalidEntryException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
