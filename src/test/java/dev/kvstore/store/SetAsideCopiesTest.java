package dev.kvstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each start keeps the newest few copies recovery set aside ({@code torn-*}, {@code corrupt-*}) within a size, the
 * one it made itself always, deletes older ones, and says what it kept. Copies the offline tool made, and other
 * files, are left alone.
 */
class SetAsideCopiesTest {

    private static final String LOG = StoreOptions.LOG_FILE_NAME;

    @TempDir
    Path dir;

    @Test
    void aStartKeepsTheNewestCopiesWithinTheLimitsAndDeletesOlderOnes() throws IOException {
        Files.write(dir.resolve(LOG), GoldenLogs.bytes("torn-bad-crc.log"));
        copy(LOG + ".torn-20250101T000000.000Z", 100);
        copy(LOG + ".corrupt-20250301T000000.000Z", 100);
        copy(LOG + ".torn-20250301T000000.000Z-1", 100);
        copy(LOG + ".torn-20250201T000000.000Z", 100);
        copy(LOG + ".orig-20240101T000000.000Z", 100);
        copy(LOG + ".torn-notes.txt", 100);

        StoreOptions options = StoreOptions.defaults(dir).withKeptCopies(3, 10_000);
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            String madeNow = store.status().lastRecovery().setAside().getFileName().toString();
            SetAsideCopies copies = store.status().setAside();
            assertThat(copies.kept()).extracting(SetAsideCopies.Copy::name).containsExactly(madeNow,
                    LOG + ".torn-20250301T000000.000Z-1", LOG + ".corrupt-20250301T000000.000Z");
            assertThat(copies.keptBytes()).isEqualTo(Files.size(dir.resolve(madeNow)) + 200);
            assertThat(copies.pruned()).containsExactly(LOG + ".torn-20250201T000000.000Z",
                    LOG + ".torn-20250101T000000.000Z");
        }
        assertThat(names()).contains(LOG + ".orig-20240101T000000.000Z", LOG + ".torn-notes.txt")
                .doesNotContain(LOG + ".torn-20250201T000000.000Z", LOG + ".torn-20250101T000000.000Z");
    }

    @Test
    void theCopyMadeByThisStartIsKeptEvenWhenItAloneExceedsTheSize() throws IOException {
        Files.write(dir.resolve(LOG), GoldenLogs.bytes("mid-log-corruption.log"));
        copy(LOG + ".torn-20250101T000000.000Z", 10);

        String madeNow;
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir).withRepair(true)
                .withKeptCopies(5, 1))) {
            madeNow = store.status().lastRecovery().setAside().getFileName().toString();
            assertThat(madeNow).startsWith(LOG + ".corrupt-");
            assertThat(store.status().setAside().kept()).extracting(SetAsideCopies.Copy::name)
                    .containsExactly(madeNow);
            assertThat(store.status().setAside().pruned()).containsExactly(LOG + ".torn-20250101T000000.000Z");
        }
        assertThat(Files.readAllBytes(dir.resolve(madeNow))).isEqualTo(GoldenLogs.bytes("mid-log-corruption.log"));
    }

    private void copy(String name, int bytes) throws IOException {
        Files.write(dir.resolve(name), new byte[bytes]);
    }

    private List<String> names() throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
