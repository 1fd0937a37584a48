package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Increments: typed, atomic, refused without a write when the result would not fit. */
class IncrementTest {

    @TempDir
    Path tmp;

    private WriteResult inc(WalKeyValueStore store, String key, Value step) {
        return store.increment(key, step, Precondition.NONE);
    }

    @Test
    void aMissingKeyIsCreatedWithTheStepAndItsType() throws IOException {
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(tmp))) {
            assertThat(inc(store, "i", Value.of(5L))).isEqualTo(
                    new WriteResult(WriteOutcome.CREATED, new Entry(Value.of(5L), 1, 1), 1));
            assertThat(inc(store, "f", Value.of(2.5)).entry().value()).isEqualTo(Value.of(2.5));
        }
    }

    @Test
    void integersTakeIntegerStepsAndFloatsTakeEither() throws IOException {
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(tmp))) {
            store.put("i", Value.of(40L), NONE);
            store.put("f", Value.of(1.5), NONE);
            assertThat(inc(store, "i", Value.of(2L)).entry()).isEqualTo(new Entry(Value.of(42L), 3, 1));
            assertThat(inc(store, "i", Value.of(-50L)).entry().value()).isEqualTo(Value.of(-8L));
            assertThat(inc(store, "f", Value.of(2L)).entry().value()).isEqualTo(Value.of(3.5));
            assertThat(inc(store, "f", Value.of(-0.25)).entry().value()).isEqualTo(Value.of(3.25));
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(tmp))) {
            assertThat(store.get("i").value()).isEqualTo(Value.of(-8L));
            assertThat(store.get("f").value()).isEqualTo(Value.of(3.25));
        }
    }

    @Test
    void whatCannotBeAddedIsRefusedWithTheCurrentEntryAndNothingWritten() throws IOException {
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(tmp))) {
            store.put("max", Value.of(Long.MAX_VALUE), NONE);
            store.put("min", Value.of(Long.MIN_VALUE), NONE);
            store.put("s", Value.of("7"), NONE);
            store.put("big", Value.of(1e308), NONE);
            long size = store.status().logBytes();
            assertThat(inc(store, "max", Value.of(1L))).isEqualTo(
                    new WriteResult(WriteOutcome.OVERFLOW, new Entry(Value.of(Long.MAX_VALUE), 1, 1), 0));
            assertThat(inc(store, "min", Value.of(-1L)).outcome()).isEqualTo(WriteOutcome.OVERFLOW);
            assertThat(inc(store, "max", Value.of(0.5)).outcome()).isEqualTo(WriteOutcome.TYPE_MISMATCH);
            assertThat(inc(store, "s", Value.of(1L)).outcome()).isEqualTo(WriteOutcome.NOT_A_NUMBER);
            assertThat(inc(store, "big", Value.of(1e308)).outcome()).isEqualTo(WriteOutcome.OVERFLOW);
            assertThat(store.status().logBytes()).isEqualTo(size);
            assertThat(store.revision()).isEqualTo(4);
            assertThat(inc(store, "max", Value.of(-1L)).entry().value()).isEqualTo(Value.of(Long.MAX_VALUE - 1));
            assertThatThrownBy(() -> inc(store, "s", Value.of("1"))).isInstanceOf(InvalidEntryException.class);
            assertThatThrownBy(() -> inc(store, "big", Value.of(Double.NaN))).isInstanceOf(InvalidEntryException.class);
        }
    }

    @Test
    void sixteenThreadsOfAThousandIncrementsLoseNone() throws Exception {
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(tmp))) {
            Set<Long> seen = ConcurrentHashMap.newKeySet();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                threads.add(new Thread(() -> {
                    for (int i = 0; i < 1000; i++) {
                        seen.add(((Value.Int) inc(store, "counter", Value.of(1L)).entry().value()).value());
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            assertThat(store.get("counter").value()).isEqualTo(Value.of(16_000L));
            assertThat(seen).as("each increment saw its own state").hasSize(16_000);
            assertThat(store.get("counter").revision()).isEqualTo(16_000);
        }
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(tmp))) {
            assertThat(store.get("counter").value()).isEqualTo(Value.of(16_000L));
        }
    }
}
