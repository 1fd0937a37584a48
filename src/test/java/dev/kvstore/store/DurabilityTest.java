package dev.kvstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** "Acknowledged only after force", tested directly: the force is held back and the caller must still be waiting. */
class DurabilityTest {

    @TempDir
    Path dir;

    private final FaultInjectingStorage disk = new FaultInjectingStorage();
    private final ExecutorService callers = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        disk.releaseForces();
        callers.shutdownNow();
    }

    private WalKeyValueStore open(SyncMode mode) throws IOException {
        return WalKeyValueStore.open(StoreOptions.defaults(dir).withSync(mode, Duration.ofMillis(50)), disk,
                Clock.systemUTC());
    }

    @Test
    void aPutIsNotAcknowledgedNorVisibleBeforeTheForceReturns() throws Exception {
        try (WalKeyValueStore store = open(SyncMode.ALWAYS)) {
            disk.holdForces();
            Future<WriteOutcome> put = callers.submit(() -> store.set("k", Value.of("v")));

            assertThat(disk.forceEntered.await(5, TimeUnit.SECONDS)).as("the writer reached force").isTrue();
            Thread.sleep(200);
            assertThat(put).as("acknowledged while force is held").isNotDone();
            assertThat(store.get("k")).as("visible to readers before it is durable").isNull();

            disk.releaseForces();
            assertThat(put.get(5, TimeUnit.SECONDS)).isEqualTo(WriteOutcome.CREATED);
            assertThat(store.get("k")).isEqualTo(Value.of("v"));
        }
    }

    @Test
    void aDeleteIsNotAcknowledgedBeforeTheForceReturns() throws Exception {
        try (WalKeyValueStore store = open(SyncMode.ALWAYS)) {
            store.set("k", Value.of(1L));
            disk.holdForces();
            Future<WriteOutcome> delete = callers.submit(() -> store.delete("k"));

            assertThat(disk.forceEntered.await(5, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(200);
            assertThat(delete).isNotDone();
            assertThat(store.get("k")).isEqualTo(Value.of(1L));

            disk.releaseForces();
            assertThat(delete.get(5, TimeUnit.SECONDS)).isEqualTo(WriteOutcome.DELETED);
            assertThat(store.get("k")).isNull();
        }
    }

    @Test
    void writersThatQueueDuringAForceShareTheNextOne() throws Exception {
        try (WalKeyValueStore store = open(SyncMode.ALWAYS)) {
            disk.holdForces();
            Future<WriteOutcome> first = callers.submit(() -> store.set("first", Value.of(0L)));
            assertThat(disk.forceEntered.await(5, TimeUnit.SECONDS)).isTrue();
            int forcesBefore = disk.forces.get();

            List<Future<WriteOutcome>> queued = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                long n = i;
                queued.add(callers.submit(() -> store.set("k" + n, Value.of(n))));
            }
            Thread.sleep(300);
            assertThat(queued).allMatch(f -> !f.isDone());

            disk.releaseForces();
            first.get(5, TimeUnit.SECONDS);
            for (Future<WriteOutcome> f : queued) {
                assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo(WriteOutcome.CREATED);
            }
            // The 50 queued writes went out as one group (or two, if one arrived late) with one force each.
            assertThat(disk.forces.get() - forcesBefore).isBetween(1, 3);
            assertThat(store.size()).isEqualTo(51);
        }
    }

    @Test
    void intervalModeAcknowledgesBeforeForcingAndForcesWithinTheInterval() throws Exception {
        try (WalKeyValueStore store = open(SyncMode.INTERVAL)) {
            disk.holdForces();
            CompletableFuture<WriteOutcome> put = CompletableFuture.supplyAsync(() -> store.set("k", Value.of(2.5)),
                    callers);

            assertThat(put.get(5, TimeUnit.SECONDS)).isEqualTo(WriteOutcome.CREATED);
            assertThat(disk.forceEntered.await(5, TimeUnit.SECONDS)).as("the periodic force came").isTrue();
            disk.releaseForces();
        }
    }

    @Test
    void noneModeNeverForcesWhileRunningButForcesOnClose() throws Exception {
        WalKeyValueStore store = open(SyncMode.NONE);
        int atOpen = disk.forces.get();
        for (int i = 0; i < 20; i++) {
            store.set("k" + i, Value.of((long) i));
        }
        Thread.sleep(100);
        assertThat(disk.forces.get()).isEqualTo(atOpen);
        store.close();
        assertThat(disk.forces.get()).isEqualTo(atOpen + 1);
    }
}
