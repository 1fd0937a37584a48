package dev.kvstore.store;

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
            assertThat(store.lastRecovery().created()).isTrue();
            assertThat(store.size()).isZero();
        }
    }

    @Test
    void setReportsCreatedThenReplacedAndDeleteReportsNotFoundWithoutWriting() throws IOException {
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(tmp))) {
            assertThat(store.set("k", Value.of("v1"))).isEqualTo(WriteOutcome.CREATED);
            assertThat(store.set("k", Value.of(2L))).isEqualTo(WriteOutcome.REPLACED);
            assertThat(store.delete("k")).isEqualTo(WriteOutcome.DELETED);
            long size = store.status().logBytes();
            assertThat(store.delete("k")).isEqualTo(WriteOutcome.NOT_FOUND);
            assertThat(store.delete("never")).isEqualTo(WriteOutcome.NOT_FOUND);
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
            written.forEach(store::set);
            store.set("gone", Value.of(1L));
            store.delete("gone");
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(tmp))) {
            assertThat(store.entries()).isEqualTo(written);
            assertThat(store.lastRecovery().framesReplayed()).isEqualTo(written.size() + 2);
        }
    }

    @Test
    void writesTheConfiguredMagicInVersionTwoFramesAndReadsThemBack() throws IOException {
        StoreOptions options = StoreOptions.defaults(tmp).withMagic((byte) 0x42);
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            store.set("k", Value.of(1L));
        }
        byte[] log = Files.readAllBytes(tmp.resolve("kvstore.log"));
        assertThat(log[Frame.MAGIC_OFFSET]).isEqualTo((byte) 0x42);
        assertThat(log[Frame.VERSION_OFFSET]).isEqualTo(Frame.VERSION_REVISIONS);
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            assertThat(store.get("k")).isEqualTo(Value.of(1L));
        }
        assertThatThrownBy(() -> WalKeyValueStore.open(StoreOptions.defaults(tmp)))
                .isInstanceOf(IncompatibleLogException.class);
    }

    @Test
    void refusesBadKeysAndValuesWithoutWriting() throws IOException {
        StoreOptions options = StoreOptions.defaults(tmp).withLimits(8, 16);
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            assertReason(() -> store.set("", Value.of(1L)), InvalidEntryException.Reason.EMPTY_KEY);
            assertReason(() -> store.set("123456789", Value.of(1L)), InvalidEntryException.Reason.KEY_TOO_LONG);
            assertReason(() -> store.set("ü1234567", Value.of(1L)), InvalidEntryException.Reason.KEY_TOO_LONG);
            assertReason(() -> store.set("k", Value.of("x".repeat(17))), InvalidEntryException.Reason.VALUE_TOO_LARGE);
            assertReason(() -> store.set("k", Value.of("ü".repeat(9))), InvalidEntryException.Reason.VALUE_TOO_LARGE);
            assertReason(() -> store.set("k", Value.of(Double.NaN)), InvalidEntryException.Reason.NOT_FINITE);
            assertReason(() -> store.set("k", Value.of(Double.NEGATIVE_INFINITY)),
                    InvalidEntryException.Reason.NOT_FINITE);
            assertReason(() -> store.set("k", Value.of("\uD800")), InvalidEntryException.Reason.NOT_UNICODE);
            assertReason(() -> store.set("\uDC00", Value.of(1L)), InvalidEntryException.Reason.NOT_UNICODE);
            assertThat(store.set("12345678", Value.of("x".repeat(16)))).isEqualTo(WriteOutcome.CREATED);
            assertThat(store.size()).isEqualTo(1);
        }
        assertThat(Files.size(tmp.resolve("kvstore.log"))).isEqualTo(Frame.OVERHEAD_V2 + 8 + 16);
    }

    private static void assertReason(Runnable r, InvalidEntryException.Reason reason) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(InvalidEntryException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
