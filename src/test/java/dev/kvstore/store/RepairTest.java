package dev.kvstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The explicit repair path: keep the valid prefix, but only after the original was set aside. */
class RepairTest {

    @TempDir
    Path dir;

    @Test
    void repairCopiesTheOriginalAsideThenKeepsTheValidPrefix() throws IOException {
        byte[] original = GoldenLogs.bytes("mid-log-corruption.log");
        Path log = GoldenLogs.install("mid-log-corruption.log", dir);

        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir).withRepair(true))) {
            RecoveryReport r = store.status().lastRecovery();
            assertThat(r.repaired()).isTrue();
            assertThat(r.validBytes()).isEqualTo(75);
            assertThat(r.bytesCut()).isEqualTo(original.length - 75);
            assertThat(r.diagnosis().defect()).isEqualTo(FrameDefect.BAD_CRC);
            assertThat(r.setAside().getFileName().toString()).startsWith("kvstore.log.corrupt-");
            assertThat(Files.readAllBytes(r.setAside())).isEqualTo(original);
            assertThat(Files.size(log)).isEqualTo(75);
            assertThat(store.entries()).isEqualTo(Map.of("greeting", Value.of("Hello, World!"), "answer",
                    Value.of(42L)));
        }
        // Once repaired, a normal start needs no repair.
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
            assertThat(store.status().lastRecovery().bytesCut()).isZero();
            assertThat(store.size()).isEqualTo(2);
        }
    }

    @Test
    void repairDoesNotApplyToAnIncompatibleLog() throws IOException {
        byte[] original = GoldenLogs.bytes("wrong-magic.log");
        Path log = GoldenLogs.install("wrong-magic.log", dir);

        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> WalKeyValueStore.open(StoreOptions.defaults(dir).withRepair(true)))
                .isInstanceOf(IncompatibleLogException.class);
        assertThat(Files.readAllBytes(log)).isEqualTo(original);
    }
}
