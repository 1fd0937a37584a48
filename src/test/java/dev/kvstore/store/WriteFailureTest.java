package dev.kvstore.store;

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
 * A failed append or force: the request fails, nothing of it is applied, the store takes no more writes (reads go
 * on), the force is never retried, and after a restart everything acknowledged is there and writes work again.
 */
class WriteFailureTest {

    @TempDir
    Path dir;

    private final FaultInjectingStorage disk = new FaultInjectingStorage();

    private WalKeyValueStore open() throws IOException {
        return WalKeyValueStore.open(StoreOptions.defaults(dir), disk, Clock.systemUTC());
    }

    @Test
    void diskFullDuringAnAppendFailsTheWriteAndMakesTheStoreReadOnly() throws IOException {
        try (WalKeyValueStore store = open()) {
            store.set("kept", Value.of("acknowledged"));
            disk.failWrite = new IOException("No space left on device");
            disk.bytesBeforeWriteFailure = 9; // a short write: part of the frame reached the file

            assertThatThrownBy(() -> store.set("lost", Value.of("never acknowledged")))
                    .isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("No space left on device")
                    .hasMessageContaining("read-only");
            assertThat(store.get("lost")).isNull();
            assertThat(store.get("kept")).isEqualTo(Value.of("acknowledged"));
            assertThat(store.status().writable()).isFalse();

            disk.failWrite = null; // space is free again, but this process stays read-only until restarted
            assertThatThrownBy(() -> store.set("later", Value.of(1L))).isInstanceOf(StoreUnavailableException.class);
            assertThatThrownBy(() -> store.delete("kept")).isInstanceOf(StoreUnavailableException.class);
            assertThat(store.get("kept")).isEqualTo(Value.of("acknowledged"));
        }

        try (WalKeyValueStore store = open()) {
            assertThat(store.entries()).isEqualTo(Map.of("kept", Value.of("acknowledged")));
            store.set("after-restart", Value.of(2L));
        }
        try (WalKeyValueStore store = open()) {
            assertThat(store.entries()).containsEntry("after-restart", Value.of(2L)).hasSize(2);
        }
    }

    @Test
    void aPartialFrameLeftByAFailedWriteNeverHidesLaterFrames() throws IOException {
        try (WalKeyValueStore store = open()) {
            store.set("a", Value.of(1L));
            disk.failWrite = new IOException("Input/output error");
            disk.bytesBeforeWriteFailure = 11;
            disk.failTruncate = new IOException("truncate fails too");
            assertThatThrownBy(() -> store.set("b", Value.of(2L))).isInstanceOf(StoreUnavailableException.class);
        }
        disk.failWrite = null;
        disk.failTruncate = null;
        long withPartialFrame = Files.size(dir.resolve(StoreOptions.LOG_FILE_NAME));

        try (WalKeyValueStore store = open()) {
            assertThat(store.lastRecovery().bytesCut()).isEqualTo(11);
            assertThat(store.lastRecovery().validBytes()).isEqualTo(withPartialFrame - 11);
            store.set("c", Value.of(3L));
        }
        try (WalKeyValueStore store = open()) {
            assertThat(store.entries()).isEqualTo(Map.of("a", Value.of(1L), "c", Value.of(3L)));
        }
    }

    @Test
    void aFailedForceFailsTheWriteAndIsNeverRetried() throws IOException {
        WalKeyValueStore store = open();
        store.set("kept", Value.of(1.5));
        disk.failForce = new IOException("Input/output error");

        assertThatThrownBy(() -> store.set("k", Value.of(2.5))).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("Input/output error");
        assertThat(store.get("k")).isNull();
        assertThat(store.status().writable()).isFalse();
        assertThat(store.status().failure()).contains("Input/output error");

        disk.failForce = null;
        assertThatThrownBy(() -> store.set("k2", Value.of(1L))).isInstanceOf(StoreUnavailableException.class);
        store.close();
        assertThat(disk.forceCallsAfterFailure.get()).as("forces attempted after one failed").isZero();

        try (WalKeyValueStore reopened = open()) {
            assertThat(reopened.get("kept")).isEqualTo(Value.of(1.5));
            reopened.set("k3", Value.of(3L));
            assertThat(reopened.get("k3")).isEqualTo(Value.of(3L));
        }
    }

    @Test
    void writesRefusedAfterCloseGetAClearError() throws IOException {
        WalKeyValueStore store = open();
        store.close();
        assertThatThrownBy(() -> store.set("k", Value.of(1L))).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("closed");
    }
}
