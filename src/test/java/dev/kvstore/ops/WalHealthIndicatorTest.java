package dev.kvstore.ops;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kvstore.store.FaultInjectingStorage;
import dev.kvstore.store.StoreObserver;
import dev.kvstore.store.StoreOptions;
import dev.kvstore.store.StoreUnavailableException;
import dev.kvstore.store.Value;
import dev.kvstore.store.WalKeyValueStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** The {@code wal} component says what the engine knows: a failed writer, a stalled disk, a full disk, the mark. */
class WalHealthIndicatorTest {

    @TempDir
    Path dir;

    private final FaultInjectingStorage disk = new FaultInjectingStorage();

    @Test
    void aWriterKilledByAnErrorTurnsItDown() throws Exception {
        StoreObserver dies = new StoreObserver() {
            @Override
            public void onBatch(int writes, int bytes) {
                throw new OutOfMemoryError("injected");
            }
        };
        try (WalKeyValueStore store = disk.openStore(StoreOptions.defaults(dir).withObserver(dies))) {
            WalHealthIndicator health = new WalHealthIndicator(store);
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);
            CompletableFuture<?> put = CompletableFuture.runAsync(() -> store.put("k", Value.of(1L), NONE).outcome());
            assertThat(put).failsWithin(5, TimeUnit.SECONDS).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withCauseInstanceOf(StoreUnavailableException.class);
            Health h = health.health();
            assertThat(h.getStatus()).isEqualTo(Status.DOWN);
            assertThat(h.getDetails()).containsEntry("writable", false);
            assertThat((String) h.getDetails().get("failure")).contains("OutOfMemoryError", "injected");
        }
    }

    @Test
    void aDiskThatDoesNotAnswerTurnsItDownWhileItHangs() throws Exception {
        try (WalKeyValueStore store = disk.openStore(StoreOptions.defaults(dir)
                .withWriteTimeout(Duration.ofMillis(200)))) {
            WalHealthIndicator health = new WalHealthIndicator(store);
            disk.holdForces();
            assertThatThrownBy(() -> store.put("k", Value.of(1L), NONE).outcome()).isInstanceOf(StoreUnavailableException.class);
            awaitTrue(() -> health.health().getStatus().equals(Status.DOWN), "DOWN while the writer is stuck");
            assertThat((String) health.health().getDetails().get("stalled")).contains("kv.wal.write-timeout");
            disk.releaseForces();
            awaitTrue(() -> health.health().getStatus().equals(Status.UP), "UP once the disk answered");
        }
    }

    @Test
    void aFullDiskTurnsItDownUntilAWriteSucceeds() throws Exception {
        try (WalKeyValueStore store = disk.openStore(StoreOptions.defaults(dir))) {
            WalHealthIndicator health = new WalHealthIndicator(store);
            disk.failWrites("No space left on device");
            assertThatThrownBy(() -> store.put("k", Value.of(1L), NONE).outcome()).isInstanceOf(StoreUnavailableException.class);
            assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
            assertThat((String) health.health().getDetails().get("failure")).contains("No space left on device");
            disk.allowWrites();
            store.put("k", Value.of(1L), NONE);
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);
        }
    }

    @Test
    void aFailedWriteOfTheForcedMarkIsShown() throws Exception {
        try (WalKeyValueStore store = disk.openStore(StoreOptions.defaults(dir))) {
            WalHealthIndicator health = new WalHealthIndicator(store);
            disk.failMarkWrites("Input/output error on the mark");
            store.put("k", Value.of(1L), NONE);
            awaitTrue(() -> mark(health).get("failure") != null, "the mark's failure is shown");
            assertThat((String) mark(health).get("failure")).contains("Input/output error on the mark");
            assertThat(health.health().getStatus()).as("the log itself takes writes").isEqualTo(Status.UP);
            disk.failMarkWrites(null);
            store.put("k2", Value.of(2L), NONE);
            awaitTrue(() -> mark(health).get("failure") == null, "cleared once the mark is written again");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mark(WalHealthIndicator health) {
        return (Map<String, Object>) health.health().getDetails().get("forcedMark");
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as(what).isNegative();
            Thread.sleep(1);
        }
    }
}
