package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ReadIndexRounds} shares a leader request only among callers that arrived before it was sent. The "leader"
 * here answers request n (counted from 1) with the read index 100 * n, and holds each request until the test lets
 * it go.
 */
class ReadIndexRoundsTest {

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<CountDownLatch> requests = new CopyOnWriteArrayList<>();
    private volatile boolean failNext;

    @AfterEach
    void stop() {
        requests.forEach(CountDownLatch::countDown);
        threads.shutdownNow();
    }

    private long leader(long deadline) {
        final CountDownLatch release = new CountDownLatch(1);
        requests.add(release);
        final int n = requests.size();
        try {
            assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterUnavailableException("interrupted", e);
        }
        if (failNext) {
            failNext = false;
            throw new ClusterUnavailableException("no majority confirmed", null);
        }
        return 100L * n;
    }

    @Test
    void callersArrivingDuringARequestShareTheNextOneSentAfterThemAll() throws Exception {
        final ReadIndexRounds rounds = new ReadIndexRounds(this::leader);
        final CompletableFuture<Long> first = read(rounds, 30_000);
        awaitRequests(1);
        final List<CompletableFuture<Long>> later = List.of(read(rounds, 30_000), read(rounds, 30_000),
                read(rounds, 30_000));
        awaitWaiting(3);
        assertThat(requests).hasSize(1);

        requests.get(0).countDown();
        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(100);
        awaitRequests(2);
        requests.get(1).countDown();
        for (CompletableFuture<Long> f : later) {
            assertThat(f.get(10, TimeUnit.SECONDS)).as("from the request sent after they arrived").isEqualTo(200);
        }
        assertThat(requests).hasSize(2);

        final CompletableFuture<Long> alone = read(rounds, 30_000);
        awaitRequests(3);
        requests.get(2).countDown();
        assertThat(alone.get(10, TimeUnit.SECONDS)).isEqualTo(300);
    }

    @Test
    void aFailedRequestFailsEveryCallerSharingItAndTheNextOneIsSentAgain() throws Exception {
        final ReadIndexRounds rounds = new ReadIndexRounds(this::leader);
        final CompletableFuture<Long> first = read(rounds, 30_000);
        awaitRequests(1);
        failNext = true;
        requests.get(0).countDown();
        assertThatThrownBy(() -> first.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(
                ClusterUnavailableException.class).hasMessageContaining("no majority");
        final CompletableFuture<Long> second = read(rounds, 30_000);
        awaitRequests(2);
        requests.get(1).countDown();
        assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(200);
    }

    @Test
    void aCallerThatGivesUpLeavesNothingStuck() throws Exception {
        final ReadIndexRounds rounds = new ReadIndexRounds(this::leader);
        final CompletableFuture<Long> first = read(rounds, 30_000);
        awaitRequests(1);
        assertThatThrownBy(() -> rounds.readIndex(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100)))
                .isInstanceOf(ClusterUnavailableException.class).hasMessageContaining("in flight");
        requests.get(0).countDown();
        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(100);
        final CompletableFuture<Long> next = read(rounds, 30_000);
        awaitRequests(2);
        requests.get(1).countDown();
        assertThat(next.get(10, TimeUnit.SECONDS)).isEqualTo(200);
    }

    private CompletableFuture<Long> read(ReadIndexRounds rounds, long timeoutMillis) {
        return CompletableFuture.supplyAsync(() -> rounds.readIndex(System.nanoTime()
                + TimeUnit.MILLISECONDS.toNanos(timeoutMillis)), threads);
    }

    private void awaitRequests(int n) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (requests.size() < n) {
            assertThat(System.nanoTime()).as("requests sent in time").isLessThan(deadline);
            Thread.sleep(0, 100_000);
        }
    }

    /** Polls until {@code n} threads wait in {@link ReadIndexRounds} without sending a request themselves. */
    private void awaitWaiting(int n) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getState() == Thread.State.TIMED_WAITING)
                .filter(e -> java.util.Arrays.stream(e.getValue()).anyMatch(f ->
                        f.getClassName().equals(ReadIndexRounds.class.getName()) && f.getMethodName().equals("join")))
                .count() < n) {
            assertThat(System.nanoTime()).as("callers waiting in time").isLessThan(deadline);
            Thread.sleep(0, 100_000);
        }
    }
}
