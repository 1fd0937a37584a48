package dev.kvstore.bench;

import dev.kvstore.store.CompactionPolicy;
import dev.kvstore.store.StoreOptions;
import dev.kvstore.store.SyncMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** What the benchmarks share: stores they open and the directories they clean up. */
public final class BenchFiles {

    private BenchFiles() {
    }

    /** A store in {@code dir} under {@code sync}, with no compaction starting on its own to disturb a measurement. */
    public static StoreOptions options(Path dir, SyncMode sync) {
        return StoreOptions.defaults(dir).withSync(sync, null).withCompaction(new CompactionPolicy(false, 0, 2.0));
    }

    /** Deletes {@code dir} and everything below it, if it exists. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
