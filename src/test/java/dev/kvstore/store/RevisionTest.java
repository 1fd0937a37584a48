package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Revisions: one counter, one step per change, the same after a restart or a compaction, never going back. */
class RevisionTest {

    @TempDir
    Path tmp;

    private WalKeyValueStore open() throws IOException {
        // No change-feed history is kept, so that a compacted log holds only the live entries (ChangeFeedTest).
        return WalKeyValueStore.open(StoreOptions.defaults(tmp).withCompaction(new CompactionPolicy(false, 0, 2.0))
                .withHistoryRetention(1));
    }

    private static Map<String, Entry> entries(WalKeyValueStore store) {
        Map<String, Entry> all = new HashMap<>();
        store.list("", null, Integer.MAX_VALUE).entries().forEach(e -> all.put(e.getKey(), e.getValue()));
        return all;
    }

    @Test
    void everyChangeTakesTheNextRevisionAndRefusedWritesTakeNone() throws IOException {
        try (WalKeyValueStore store = open()) {
            assertThat(store.revision()).isZero();
            assertThat(store.put("a", Value.of(1L), Precondition.NONE)).isEqualTo(
                    new WriteResult(WriteOutcome.CREATED, new Entry(Value.of(1L), 1, 1), 1));
            store.put("b", Value.of("x"), NONE);
            assertThat(store.put("a", Value.of(2L), Precondition.NONE).entry()).isEqualTo(new Entry(Value.of(2L), 3, 1));
            assertThat(store.delete("missing", NONE).outcome()).isEqualTo(WriteOutcome.NOT_FOUND);
            assertThat(store.put("a", Value.of(9L), Precondition.ifRevision(1)).outcome())
                    .isEqualTo(WriteOutcome.PRECONDITION_FAILED);
            assertThat(store.revision()).isEqualTo(3);
            WriteResult deleted = store.delete("a", Precondition.NONE);
            assertThat(deleted).isEqualTo(new WriteResult(WriteOutcome.DELETED, new Entry(Value.of(2L), 3, 1), 4));
            // Created again: a new creation revision.
            assertThat(store.put("a", Value.of(5L), Precondition.NONE).entry()).isEqualTo(new Entry(Value.of(5L), 5, 5));
            assertThat(store.get("b")).isEqualTo(new Entry(Value.of("x"), 2, 2));
        }
    }

    @Test
    void aSeedFormatLogGetsItsRevisionsInLogOrderTheSameWayEveryTime() throws IOException {
        GoldenLogs.install("basic.log", tmp);
        for (int start = 0; start < 2; start++) {
            try (WalKeyValueStore store = open()) {
                // basic.log: 16 frames; "answer" set by frames 2 and 4, "pi" by 3 and 15, "tmp" set by 5, deleted by 6.
                assertThat(store.revision()).isEqualTo(16);
                assertThat(store.get("greeting")).isEqualTo(new Entry(Value.of("Hello, World!"), 1, 1));
                assertThat(store.get("answer").revision()).isEqualTo(4);
                assertThat(store.get("answer").createRevision()).isEqualTo(2);
                assertThat(store.get("pi").revision()).isEqualTo(15);
                assertThat(store.get("pi").createRevision()).isEqualTo(3);
                assertThat(store.get("float-again").revision()).isEqualTo(16);
                assertThat(store.get("tmp")).isNull();
            }
        }
        try (WalKeyValueStore store = open()) {
            assertThat(store.put("new", Value.of(1L), Precondition.NONE).revision()).isEqualTo(17);
            assertThat(store.put("answer", Value.of(43L), Precondition.ifRevision(4)).entry())
                    .isEqualTo(new Entry(Value.of(43L), 18, 2));
        }
        try (WalKeyValueStore store = open()) {
            // Seed frames first, then version-2 frames: the same numbers again.
            assertThat(store.revision()).isEqualTo(18);
            assertThat(store.get("answer")).isEqualTo(new Entry(Value.of(43L), 18, 2));
            assertThat(store.get("pi").revision()).isEqualTo(15);
        }
    }

    @Test
    void revisionsAreTheSameAfterARestartAndAfterACompaction() throws IOException {
        Map<String, Entry> before;
        long revision;
        try (WalKeyValueStore store = open()) {
            for (int i = 0; i < 300; i++) {
                store.put("k" + i % 37, Value.of((long) i), NONE);
                if (i % 11 == 0) {
                    store.delete("k" + i % 13, NONE);
                }
            }
            before = entries(store);
            revision = store.revision();
        }
        try (WalKeyValueStore store = open()) {
            assertThat(entries(store)).isEqualTo(before);
            assertThat(store.revision()).isEqualTo(revision);
            store.compact();
            assertThat(entries(store)).isEqualTo(before);
        }
        try (WalKeyValueStore store = open()) {
            assertThat(entries(store)).isEqualTo(before);
            assertThat(store.revision()).isEqualTo(revision);
            assertThat(store.put("k0", Value.of(1L), Precondition.NONE).revision()).isEqualTo(revision + 1);
        }
    }

    @Test
    void theIndexRebuiltAtStartIsInCodePointOrderWhetherTheLogIsInKeyOrderOrNot() throws IOException {
        java.util.List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; i < 500; i++) {
            keys.add("k" + Integer.toHexString(i * 7919 % 1000) + (i % 3 == 0 ? "\uE000" : "\uD83D\uDE00"));
        }
        try (WalKeyValueStore store = open()) {
            keys.forEach(k -> store.put(k, Value.of((long) k.length()), NONE).outcome());
        }
        java.util.List<String> expected = new java.util.ArrayList<>(keys);
        expected.sort(KeyOrder.CODE_POINTS);
        for (boolean compacted : new boolean[] {false, true}) {
            try (WalKeyValueStore store = open()) {
                assertThat(store.list("", null, 1000).entries()).extracting(Map.Entry::getKey)
                        .as(compacted ? "after a compaction (keys in order)" : "keys in write order")
                        .containsExactlyElementsOf(expected);
                store.compact();
            }
        }
    }

    @Test
    void theCounterNeverGoesBackWhenTheKeyWithTheHighestRevisionIsGoneAndTheLogCompacted() throws IOException {
        try (WalKeyValueStore store = open()) {
            store.put("a", Value.of(1L), NONE);
            store.put("b", Value.of(2L), NONE);
            store.put("c", Value.of(3L), NONE);
            store.delete("c", NONE);
            store.delete("b", NONE);
            assertThat(store.revision()).isEqualTo(5);
            store.compact();
        }
        byte[] log = Files.readAllBytes(tmp.resolve(StoreOptions.LOG_FILE_NAME));
        // The compacted log: the REVISION frame, then "a" alone, then the HISTORY frame.
        assertThat(Frame.decode(log, 0)).isEqualTo(new LogRecord.Revision(5));
        assertThat(log).hasSize(Frame.OVERHEAD_V2 + Frame.OVERHEAD_V2 + 1 + 8 + Frame.OVERHEAD_V2);
        assertThat(Frame.decode(log, log.length - Frame.OVERHEAD_V2)).isEqualTo(new LogRecord.History(5));
        try (WalKeyValueStore store = open()) {
            assertThat(store.revision()).isEqualTo(5);
            assertThat(store.get("a")).isEqualTo(new Entry(Value.of(1L), 1, 1));
            assertThat(store.put("b", Value.of(1L), Precondition.NONE).revision()).isEqualTo(6);
        }
    }

    @Test
    void preconditionsAreCheckedAgainstTheCurrentEntryAndARefusalWritesNothing() throws IOException {
        try (WalKeyValueStore store = open()) {
            store.put("k", Value.of("v1"), NONE);
            long size = store.status().logBytes();
            assertThat(store.put("k", Value.of("x"), Precondition.ifAbsent()).outcome())
                    .isEqualTo(WriteOutcome.PRECONDITION_FAILED);
            assertThat(store.put("k", Value.of("x"), Precondition.ifRevision(2)).entry())
                    .as("the refusal names the current entry").isEqualTo(new Entry(Value.of("v1"), 1, 1));
            assertThat(store.delete("k", Precondition.ifRevision(7)).outcome()).isEqualTo(WriteOutcome.PRECONDITION_FAILED);
            assertThat(store.delete("nothing", Precondition.ifExists()).outcome())
                    .isEqualTo(WriteOutcome.PRECONDITION_FAILED);
            assertThat(store.status().logBytes()).isEqualTo(size);
            assertThat(store.revision()).isEqualTo(1);

            assertThat(store.put("k", Value.of("v2"), Precondition.ifRevision(1)).outcome())
                    .isEqualTo(WriteOutcome.REPLACED);
            assertThat(store.put("n", Value.of("v"), Precondition.ifAbsent()).outcome()).isEqualTo(WriteOutcome.CREATED);
            assertThat(store.delete("k", Precondition.ifRevision(2)).outcome()).isEqualTo(WriteOutcome.DELETED);
        }
    }
}
