package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Acknowledged only after force", tested directly: the force is held back and the caller must still be waiting for
 * its write. Waiting is observed, not slept on: the caller's thread is parked on its pending write
 * ({@link LockSupport#getBlocker}), which it only leaves once the writer answers.
 */
class DurabilityTest {

    @TempDir
    Path dir;

    private final FaultInjectingStorage disk = new FaultInjectingStorage();
    private final List<Thread> callers = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        disk.releaseForces();
        for (Thread t : callers) {
            t.join(10_000);
        }
    }

    private WalKeyValueStore open(SyncMode mode) throws IOException {
        return WalKeyValueStore.open(StoreOptions.defaults(dir).withSync(mode, Duration.ofMillis(50)), disk,
                Clock.systemUTC());
    }

    /** A caller on a thread of its own, so that the test can see it wait. */
    private final class Caller<T> {
        final CompletableFuture<T> result = new CompletableFuture<>();
        final Thread thread;

        Caller(Supplier<T> call) {
            thread = new Thread(() -> {
                try {
                    result.complete(call.get());
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            });
            callers.add(thread);
            thread.start();
        }

        /** Waits until the caller is parked on its pending write, waiting for the writer to answer it. */
        void awaitWaitingForItsWrite() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!(LockSupport.getBlocker(thread) instanceof GroupCommitWriter.Pending)) {
                assertThat(result).as("the caller was answered instead of waiting").isNotDone();
                assertThat(System.nanoTime() - deadline).as("the caller never waited for its write").isNegative();
                Thread.onSpinWait();
            }
        }
    }

    @Test
    void aPutIsNotAcknowledgedNorVisibleBeforeTheForceReturns() throws Exception {
        try (WalKeyValueStore store = open(SyncMode.ALWAYS)) {
            disk.holdForces();
            Caller<WriteOutcome> put = new Caller<>(() -> store.put("k", Value.of("v"), NONE).outcome());

            assertThat(disk.forceEntered.await(5, TimeUnit.SECONDS)).as("the writer reached force").isTrue();
            put.awaitWaitingForItsWrite();
            assertThat(put.result).as("acknowledged while force is held").isNotDone();
            assertThat(store.get("k")).as("visible to readers before it is durable").isNull();

            disk.releaseForces();
            assertThat(put.result.get(5, TimeUnit.SECONDS)).isEqualTo(WriteOutcome.CREATED);
            assertThat(store.get("k").value()).isEqualTo(Value.of("v"));
        }
    }

    @Test
    void aDeleteIsNotAcknowledgedBeforeTheForceReturns() throws Exception {
        try (WalKeyValueStore store = open(SyncMode.ALWAYS)) {
            store.put("k", Value.of(1L), NONE);
            disk.holdForces();
            Caller<WriteOutcome> delete = new Caller<>(() -> store.delete("k", NONE).outcome());

            assertThat(disk.forceEntered.await(5, TimeUnit.SECONDS)).isTrue();
            delete.awaitWaitingForItsWrite();
            assertThat(delete.result).isNotDone();
            assertThat(store.get("k").value()).isEqualTo(Value.of(1L));

            disk.releaseForces();
            assertThat(delete.result.get(5, TimeUnit.SECONDS)).isEqualTo(WriteOutcome.DELETED);
            assertThat(store.get("k")).isNull();
        }
    }

    @Test
    void writersThatQueueDuringAForceShareTheNextOne() throws Exception {
        try (WalKeyValueStore store = open(SyncMode.ALWAYS)) {
            disk.holdForces();
            Caller<WriteOutcome> first = new Caller<>(() -> store.put("first", Value.of(0L), NONE).outcome());
            assertThat(disk.forceEntered.await(5, TimeUnit.SECONDS)).isTrue();
            int forcesBefore = disk.forces.get();

            List<Caller<WriteOutcome>> queued = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                long n = i;
                queued.add(new Caller<>(() -> store.put("k" + n, Value.of(n), NONE).outcome()));
            }
            for (Caller<WriteOutcome> c : queued) {
                c.awaitWaitingForItsWrite();
            }
            assertThat(queued).allMatch(c -> !c.result.isDone());

            disk.releaseForces();
            first.result.get(5, TimeUnit.SECONDS);
            for (Caller<WriteOutcome> c : queued) {
                assertThat(c.result.get(5, TimeUnit.SECONDS)).isEqualTo(WriteOutcome.CREATED);
            }
            // The held force, then one more: all 50 were queued before it returned, so they went out as one group.
            assertThat(disk.forces.get() - forcesBefore).isEqualTo(2);
            assertThat(store.size()).isEqualTo(51);
        }
    }

    @Test
    void intervalModeAcknowledgesBeforeForcingAndForcesWithinTheInterval() throws Exception {
        try (WalKeyValueStore store = open(SyncMode.INTERVAL)) {
            disk.holdForces();
            Caller<WriteOutcome> put = new Caller<>(() -> store.put("k", Value.of(2.5), NONE).outcome());

            assertThat(put.result.get(5, TimeUnit.SECONDS)).isEqualTo(WriteOutcome.CREATED);
            assertThat(disk.forceEntered.await(5, TimeUnit.SECONDS)).as("the periodic force came").isTrue();
            disk.releaseForces();
        }
    }

    @Test
    void noneModeNeverForcesOnTheWritePathButForcesOnClose() throws Exception {
        WalKeyValueStore store = open(SyncMode.NONE);
        int atOpen = disk.forces.get();
        long markAtOpen = store.status().markedBytes();
        for (int i = 0; i < 20; i++) {
            store.put("k" + i, Value.of((long) i), NONE);
        }
        // Every write above was acknowledged without a force, so the forced mark did not move either.
        assertThat(disk.forces.get()).isEqualTo(atOpen);
        assertThat(store.status().markedBytes()).isEqualTo(markAtOpen);
        store.close();
        assertThat(disk.forces.get()).isEqualTo(atOpen + 1);
    }
}
