package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Any throwable on the writer thread fails the store exactly like a failed force: every waiting and later caller
 * gets {@link StoreUnavailableException} (503 over HTTP) within a bound, the store reports itself not writable, and
 * nothing that was not forced is applied. A disk that does not answer holds no caller longer than the write
 * timeout. The {@link StoreObserver} runs on the writer thread, so an observer that throws is the seam.
 */
class FailStopWriterTest {

    private static final long BOUND_SECONDS = 5;

    @TempDir
    Path dir;

    private final ExecutorService callers = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        callers.shutdownNow();
    }

    /** Throws {@code error} from the chosen hook once armed. */
    private static final class Throwing implements StoreObserver {
        volatile Error onBatch;
        volatile Error onForce;

        @Override
        public void onBatch(int writes, int bytes) {
            Error e = onBatch;
            if (e != null) {
                throw e;
            }
        }

        @Override
        public void onForce(long nanos, boolean succeeded) {
            Error e = onForce;
            if (e != null) {
                throw e;
            }
        }
    }

    @Test
    void anErrorInTheObserverBeforeTheForceFailsEveryWaitingAndLaterCaller() throws Exception {
        Throwing observer = new Throwing();
        FaultInjectingStorage disk = new FaultInjectingStorage();
        WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir).withObserver(observer), disk,
                Clock.systemUTC());
        store.put("before", Value.of(1L), NONE);

        // Writers queue up behind a held force, so that the failing group and the ones after it have callers waiting.
        disk.holdForces();
        CompletableFuture<WriteOutcome> first = call(() -> store.put("first", Value.of(1L), NONE).outcome());
        assertThat(disk.forceEntered.await(5, TimeUnit.SECONDS)).isTrue();
        observer.onBatch = new OutOfMemoryError("injected: unable to create native thread");
        List<CompletableFuture<WriteOutcome>> waiting = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            long n = i;
            waiting.add(call(() -> store.put("waiting" + n, Value.of(n), NONE).outcome()));
        }
        disk.releaseForces();

        assertThat(first.get(BOUND_SECONDS, TimeUnit.SECONDS)).isEqualTo(WriteOutcome.CREATED);
        for (CompletableFuture<WriteOutcome> w : waiting) {
            assertUnavailable(w, "OutOfMemoryError");
        }
        assertThat(store.status().writable()).isFalse();
        assertThat(store.status().failure()).contains("injected", "read-only until it is restarted");
        for (int i = 0; i < 8; i++) {
            assertThat(store.get("waiting" + i)).as("applied though never forced").isNull();
        }
        observer.onBatch = null;
        assertThatThrownBy(() -> store.put("later", Value.of(2L), NONE).outcome()).isInstanceOf(StoreUnavailableException.class);
        assertThat(store.get("before").value()).as("reads go on").isEqualTo(Value.of(1L));
        store.close();

        try (WalKeyValueStore reopened = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
            assertThat(reopened.get("before").value()).isEqualTo(Value.of(1L));
            assertThat(reopened.get("first").value()).isEqualTo(Value.of(1L));
            reopened.put("after-restart", Value.of(3L), NONE);
        }
    }

    @Test
    void anErrorInTheObserverAfterTheForceFailsTheStoreToo() throws Exception {
        Throwing observer = new Throwing();
        WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir).withObserver(observer));
        store.put("before", Value.of(1L), NONE);
        observer.onForce = new StackOverflowError("injected");

        assertUnavailable(call(() -> store.put("k", Value.of(2L), NONE).outcome()), "StackOverflowError");
        assertThat(store.get("k")).isNull();
        assertThat(store.status().writable()).isFalse();
        observer.onForce = null;
        assertThatThrownBy(() -> store.put("later", Value.of(3L), NONE).outcome()).isInstanceOf(StoreUnavailableException.class);
        store.close();
        try (WalKeyValueStore reopened = WalKeyValueStore.open(StoreOptions.defaults(dir))) {
            assertThat(reopened.get("before").value()).isEqualTo(Value.of(1L));
        }
    }

    @Test
    void aDiskThatDoesNotAnswerHoldsNoCallerLongerThanTheWriteTimeout() throws Exception {
        FaultInjectingStorage disk = new FaultInjectingStorage();
        Duration timeout = Duration.ofMillis(300);
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir).withWriteTimeout(timeout),
                disk, Clock.systemUTC())) {
            disk.holdForces();
            long t0 = System.nanoTime();
            CompletableFuture<WriteOutcome> put = call(() -> store.put("k", Value.of("v"), NONE).outcome());
            assertUnavailable(put, "not acknowledged within 300 ms");
            long waitedMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(waitedMs).isGreaterThanOrEqualTo(timeout.toMillis()).isLessThan(BOUND_SECONDS * 1000);
            awaitTrue(() -> store.status().stalled(), "the writer is reported stalled");

            // The outcome was unknown, not a refusal: once the disk answers, the write is made and applied.
            disk.releaseForces();
            awaitTrue(() -> Value.of("v").equals(valueOf(store.get("k"))), "the write applied once the disk answered");
            awaitTrue(() -> !store.status().stalled(), "no longer stalled");
            assertThat(store.status().writable()).isTrue();
            assertThat(store.put("k2", Value.of(1L), NONE).outcome()).isEqualTo(WriteOutcome.CREATED);
        }
    }

    private CompletableFuture<WriteOutcome> call(java.util.function.Supplier<WriteOutcome> write) {
        return CompletableFuture.supplyAsync(write, callers);
    }

    private static void assertUnavailable(CompletableFuture<?> call, String message) throws Exception {
        try {
            call.get(BOUND_SECONDS, TimeUnit.SECONDS);
            throw new AssertionError("the write was acknowledged");
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(StoreUnavailableException.class).hasMessageContaining(message);
        }
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as(what).isNegative();
            Thread.sleep(1);
        }
    }

    /** The value of an entry read from the store, or {@code null} when the key had none. */
    private static Value valueOf(Entry e) {
        return e == null ? null : e.value();
    }
}
