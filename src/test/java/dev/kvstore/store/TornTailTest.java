package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The golden basic log cut at every byte offset inside its last frame: each start recovers the prefix, then a new
 * write and another restart keep both.
 */
class TornTailTest {

    private static final int LAST_FRAME = 538; // the SET of "float-again", a key no earlier frame has

    @TempDir
    Path tmp;

    @Test
    void everyCutInsideTheLastFrameRecoversThePrefixAndLaterWritesSurvive() throws IOException {
        byte[] basic = GoldenLogs.bytes("basic.log");
        assertThat(Frame.totalLength(basic, LAST_FRAME) + 4 + LAST_FRAME).isEqualTo(basic.length);
        Map<String, Value> prefixState = new HashMap<>(GoldenLogs.state("basic.log"));
        assertThat(prefixState.remove("float-again")).isEqualTo(Value.of(1e308));

        for (int cut = LAST_FRAME + 1; cut < basic.length; cut++) {
            Path dir = tmp.resolve("cut-" + cut);
            Files.createDirectories(dir);
            Path log = Files.write(dir.resolve(StoreOptions.LOG_FILE_NAME), Arrays.copyOf(basic, cut));

            try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
                assertThat(store.entries()).as("state after cut at %d", cut).isEqualTo(prefixState);
                assertThat(store.status().lastRecovery().bytesCut()).isEqualTo(cut - LAST_FRAME);
                assertThat(Files.size(log)).isEqualTo(LAST_FRAME);
                store.put("written-after", Value.of((long) cut), NONE);
            }
            try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
                Map<String, Value> expected = new HashMap<>(prefixState);
                expected.put("written-after", Value.of((long) cut));
                assertThat(store.entries()).as("state after restart, cut at %d", cut).isEqualTo(expected);
                assertThat(store.status().lastRecovery().bytesCut()).isZero();
            }
        }
    }
}
