package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/** Each golden log recovers, or is refused, exactly as its entry in {@code expected.json} says. */
class GoldenLogTest {

    @TempDir
    Path tmp;

    static Stream<String> recovered() {
        return names().filter(n -> GoldenLogs.expected(n).get("outcome").asString().equals("recover"));
    }

    static Stream<String> refused() {
        return names().filter(n -> GoldenLogs.expected(n).get("outcome").asString().equals("refuse"));
    }

    private static Stream<String> names() {
        return StreamSupport.stream(GoldenLogs.names().spliterator(), false);
    }

    @ParameterizedTest
    @MethodSource("recovered")
    void recoversTheExpectedStateAndCutsBackToTheValidPrefix(String name) throws IOException {
        JsonNode expected = GoldenLogs.expected(name);
        long validPrefix = expected.get("valid_prefix_bytes").asLong();
        byte[] original = GoldenLogs.bytes(name);
        assertThat(original).hasSize(expected.get("size_bytes").asInt());
        Path log = GoldenLogs.install(name, tmp);

        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(tmp))) {
            assertThat(store.entries()).isEqualTo(GoldenLogs.state(name));
            RecoveryReport report = store.status().lastRecovery();
            assertThat(report.validBytes()).isEqualTo(validPrefix);
            assertThat(report.bytesCut()).isEqualTo(original.length - validPrefix);
            assertThat(Files.size(log)).isEqualTo(validPrefix);
            if (report.bytesCut() > 0) {
                assertThat(report.setAside()).exists();
                assertThat(Files.readAllBytes(report.setAside()))
                        .isEqualTo(Arrays.copyOfRange(original, (int) validPrefix, original.length));
            } else {
                assertThat(report.setAside()).isNull();
            }
            store.put("after-recovery", Value.of(1L), NONE);
        }

        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(tmp))) {
            Map<String, Value> both = new HashMap<>(GoldenLogs.state(name));
            both.put("after-recovery", Value.of(1L));
            assertThat(store.entries()).isEqualTo(both);
            assertThat(store.status().lastRecovery().bytesCut()).isZero();
            byte[] now = Files.readAllBytes(log);
            assertThat(Arrays.copyOf(now, (int) validPrefix)).isEqualTo(Arrays.copyOf(original, (int) validPrefix));
        }
    }

    @ParameterizedTest
    @MethodSource("refused")
    void refusesToStartAndLeavesTheFileUntouched(String name) throws IOException {
        long offset = GoldenLogs.expected(name).get("valid_prefix_bytes").asLong();
        byte[] original = GoldenLogs.bytes(name);
        Path log = GoldenLogs.install(name, tmp);

        assertThatThrownBy(() -> WalKeyValueStore.open(StoreOptions.defaults(tmp)))
                .isInstanceOf(LogException.class)
                .satisfies(e -> {
                    assertThat(((LogException) e).offset()).isEqualTo(offset);
                    assertThat(((LogException) e).file()).isEqualTo(log.toAbsolutePath());
                    assertThat(e.getMessage()).contains(log.toAbsolutePath().toString())
                            .contains("offset " + offset);
                });

        assertThat(Files.readAllBytes(log)).isEqualTo(original);
        // Nothing but the log, and the lock file the refused start took before it read the log.
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files.filter(f -> !f.equals(DataDirectory.lockOf(log))).toList())
                    .isEqualTo(List.of(log));
        }
    }

    @ParameterizedTest
    @MethodSource("refused")
    void saysWhetherTheFileIsDamagedOrIncompatible(String name) throws IOException {
        GoldenLogs.install(name, tmp);

        Class<?> expected = name.equals("wrong-magic.log") ? IncompatibleLogException.class : LogCorruptedException.class;
        assertThatThrownBy(() -> WalKeyValueStore.open(StoreOptions.defaults(tmp))).isInstanceOf(expected);
    }
}
