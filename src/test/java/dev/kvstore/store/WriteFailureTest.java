package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failed append or force: the request fails and nothing of it is applied. A failed append that the writer cut back
 * off the log (and forced so) leaves nothing uncertain: the store takes writes again once the disk does. A failed
 * force, or an append that could not be cut back, makes the store take no more writes (reads go on), and the force
 * is never retried; after a restart everything acknowledged is there and writes work again.
 */
class WriteFailureTest {

    @TempDir
    Path dir;

    private final FaultInjectingStorage disk = new FaultInjectingStorage();

    private WalKeyValueStore open() throws IOException {
        return WalKeyValueStore.open(StoreOptions.defaults(dir), disk, Clock.systemUTC());
    }

    @Test
    void diskFullDuringAnAppendFailsThatWriteOnlyAndWritesWorkAgainOnceThereIsRoom() throws IOException {
        Path log = dir.resolve(StoreOptions.LOG_FILE_NAME);
        try (WalKeyValueStore store = open()) {
            store.put("kept", Value.of("acknowledged"), NONE);
            long before = Files.size(log);
            disk.failWrite = new IOException("No space left on device");
            disk.bytesBeforeWriteFailure = 9; // a short write: part of the frame reached the file

            assertThatThrownBy(() -> store.put("lost", Value.of("never acknowledged"), NONE).outcome())
                    .isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("No space left on device")
                    .hasMessageContaining("nothing of it was written or applied");
            assertThat(store.get("lost")).isNull();
            assertThat(Files.size(log)).as("the short write was cut back").isEqualTo(before);
            assertThat(store.status().writable()).isFalse();
            assertThat(store.status().retrying()).isTrue();
            assertThat(store.status().failure()).contains("No space left on device");

            // Still full: each write fails on its own, and is cut back too.
            assertThatThrownBy(() -> store.delete("kept", NONE).outcome()).isInstanceOf(StoreUnavailableException.class);
            assertThat(store.get("kept").value()).isEqualTo(Value.of("acknowledged"));

            disk.failWrite = null; // space is free again
            assertThat(store.put("later", Value.of(1L), NONE).outcome()).isEqualTo(WriteOutcome.CREATED);
            assertThat(store.status().writable()).isTrue();
            assertThat(store.status().failure()).isNull();
        }

        try (WalKeyValueStore store = open()) {
            assertThat(store.status().lastRecovery().bytesCut()).isZero();
            assertThat(store.entries()).isEqualTo(Map.of("kept", Value.of("acknowledged"), "later", Value.of(1L)));
        }
    }

    @Test
    void aFailedAppendWhoseCutBackCannotBeForcedMakesTheStoreReadOnly() throws IOException {
        try (WalKeyValueStore store = open()) {
            store.put("kept", Value.of(1L), NONE);
            disk.failWrite = new IOException("No space left on device");
            disk.failForce = new IOException("Input/output error");
            assertThatThrownBy(() -> store.put("lost", Value.of(2L), NONE).outcome()).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("read-only");
            disk.failWrite = null;
            disk.failForce = null;
            assertThatThrownBy(() -> store.put("later", Value.of(3L), NONE).outcome()).isInstanceOf(StoreUnavailableException.class);
            assertThat(store.status().writable()).isFalse();
            assertThat(store.status().retrying()).isFalse();
        }
        try (WalKeyValueStore store = open()) {
            assertThat(store.entries()).isEqualTo(Map.of("kept", Value.of(1L)));
        }
    }

    @Test
    void aPartialFrameLeftByAFailedWriteNeverHidesLaterFrames() throws IOException {
        try (WalKeyValueStore store = open()) {
            store.put("a", Value.of(1L), NONE);
            disk.failWrite = new IOException("Input/output error");
            disk.bytesBeforeWriteFailure = 11;
            disk.failTruncate = new IOException("truncate fails too");
            assertThatThrownBy(() -> store.put("b", Value.of(2L), NONE).outcome()).isInstanceOf(StoreUnavailableException.class);
            // Not cut back: what is in the file is uncertain, so nothing more is written to it in this process.
            disk.failWrite = null;
            assertThatThrownBy(() -> store.put("c", Value.of(3L), NONE).outcome()).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("read-only");
        }
        disk.failWrite = null;
        disk.failTruncate = null;
        long withPartialFrame = Files.size(dir.resolve(StoreOptions.LOG_FILE_NAME));

        try (WalKeyValueStore store = open()) {
            assertThat(store.status().lastRecovery().bytesCut()).isEqualTo(11);
            assertThat(store.status().lastRecovery().validBytes()).isEqualTo(withPartialFrame - 11);
            store.put("c", Value.of(3L), NONE);
        }
        try (WalKeyValueStore store = open()) {
            assertThat(store.entries()).isEqualTo(Map.of("a", Value.of(1L), "c", Value.of(3L)));
        }
    }

    @Test
    void aFailedForceFailsTheWriteAndIsNeverRetried() throws IOException {
        WalKeyValueStore store = open();
        store.put("kept", Value.of(1.5), NONE);
        disk.failForce = new IOException("Input/output error");

        assertThatThrownBy(() -> store.put("k", Value.of(2.5), NONE).outcome()).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("Input/output error");
        assertThat(store.get("k")).isNull();
        assertThat(store.status().writable()).isFalse();
        assertThat(store.status().failure()).contains("Input/output error");

        disk.failForce = null;
        assertThatThrownBy(() -> store.put("k2", Value.of(1L), NONE).outcome()).isInstanceOf(StoreUnavailableException.class);
        store.close();
        assertThat(disk.forceCallsAfterFailure.get()).as("forces attempted after one failed").isZero();

        try (WalKeyValueStore reopened = open()) {
            assertThat(reopened.get("kept").value()).isEqualTo(Value.of(1.5));
            reopened.put("k3", Value.of(3L), NONE);
            assertThat(reopened.get("k3").value()).isEqualTo(Value.of(3L));
        }
    }

    @Test
    void writesRefusedAfterCloseGetAClearError() throws IOException {
        WalKeyValueStore store = open();
        store.close();
        assertThatThrownBy(() -> store.put("k", Value.of(1L), NONE).outcome()).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("closed");
    }
}
