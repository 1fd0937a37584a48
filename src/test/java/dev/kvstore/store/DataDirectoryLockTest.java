package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One store per data directory: an exclusive lock of the operating system on {@code kvstore.log.lock}, taken before
 * a restore and before recovery, held until close. (Two processes: {@code dev.kvstore.e2e.TwoProcessesIT}.)
 */
class DataDirectoryLockTest {

    @TempDir
    Path dir;

    @Test
    void aSecondStoreOnTheSameDirectoryIsRefusedWithTheDirectoryAndTheHolder() throws IOException {
        try (WalKeyValueStore first = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
            first.put("k", Value.of(1L), NONE);
            byte[] log = Files.readAllBytes(dir.resolve(StoreOptions.LOG_FILE_NAME));

            assertThatThrownBy(() -> WalKeyValueStore.open(StoreOptions.defaults(dir)))
                    .isInstanceOfSatisfying(DataDirectoryLockedException.class, e -> {
                        assertThat(e.directory()).isEqualTo(dir.toAbsolutePath());
                        assertThat(e.holder()).contains("pid " + ProcessHandle.current().pid());
                        assertThat(e.getMessage()).contains(dir.toAbsolutePath().toString(), "kvstore.log.lock",
                                "pid " + ProcessHandle.current().pid());
                    });
            // The refused store read and changed nothing; the first one goes on.
            assertThat(Files.readAllBytes(dir.resolve(StoreOptions.LOG_FILE_NAME))).isEqualTo(log);
            first.put("k2", Value.of(2L), NONE);
            assertThat(first.get("k2").value()).isEqualTo(Value.of(2L));
        }
        try (WalKeyValueStore again = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
            assertThat(again.size()).isEqualTo(2);
        }
    }

    @Test
    void theLockFileNamesItsHolder() throws IOException {
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
            assertThat(Files.readString(DataDirectory.lockOf(store.status().log())))
                    .startsWith("pid " + ProcessHandle.current().pid() + " on host ").contains(", since ");
        }
    }

    @Test
    void theLockIsTakenBeforeARestoreTouchesTheDirectory() throws IOException {
        Path backup = dir.resolve("backup.log");
        try (WalKeyValueStore source = WalKeyValueStore.open(StoreOptions.defaults(dir.resolve("source")));
             Snapshot s = fill(source)) {
            try (java.io.OutputStream out = Files.newOutputStream(backup)) {
                s.transferTo(out);
            }
        }
        Path target = dir.resolve("target");
        try (WalKeyValueStore empty = WalKeyValueStore.open(StoreOptions.defaults(target))) {
            List<String> before = names(target);
            assertThatThrownBy(() -> WalKeyValueStore.open(StoreOptions.defaults(target).withRestoreFrom(backup)))
                    .isInstanceOf(DataDirectoryLockedException.class);
            assertThat(names(target)).isEqualTo(before);
            assertThat(empty.size()).isZero();
        }
    }

    @Test
    void aStoreThatFailedToOpenLeavesTheDirectoryFree() throws IOException {
        Files.write(dir.resolve(StoreOptions.LOG_FILE_NAME), GoldenLogs.bytes("mid-log-corruption.log"));
        assertThatThrownBy(() -> WalKeyValueStore.open(StoreOptions.defaults(dir)))
                .isInstanceOf(LogCorruptedException.class);
        try (WalKeyValueStore repaired = WalKeyValueStore.open(StoreOptions.defaults(dir).withRepair(true))) {
            assertThat(repaired.status().lastRecovery().repaired()).isTrue();
        }
    }

    private static Snapshot fill(WalKeyValueStore store) throws IOException {
        store.put("a", Value.of(1L), NONE);
        return store.snapshot();
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
