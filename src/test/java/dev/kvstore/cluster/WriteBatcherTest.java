package dev.kvstore.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How {@link WriteBatcher} gathers concurrent writes into entries. The "group" here is a function that records each
 * entry and answers every command with its own bytes reversed, so each caller can check it got its own result.
 */
class WriteBatcherTest {

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<List<byte[]>> entries = Collections.synchronizedList(new ArrayList<>());
    private final List<Thread> senders = Collections.synchronizedList(new ArrayList<>());
    private final List<Long> deadlines = Collections.synchronizedList(new ArrayList<>());
    /** The thread of each write, by its command's first byte. */
    private final Map<Byte, Thread> writers = new ConcurrentHashMap<>();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    private WriteBatcher.Sender group(CountDownLatch firstEntryMayFinish) {
        final AtomicBoolean first = new AtomicBoolean(true);
        return (entry, deadline) -> {
            final List<byte[]> commands = CommandBatch.decode(entry);
            senders.add(Thread.currentThread());
            deadlines.add(deadline);
            entries.add(commands);
            if (first.getAndSet(false)) {
                await(firstEntryMayFinish);
            }
            return CommandBatch.encode(commands.stream().map(WriteBatcherTest::reversed).toList());
        };
    }

    @Test
    void writesArrivingWhileAnEntryIsInFlightGoTogetherInTheNextAndEachGetsItsOwnResult() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final WriteBatcher batcher = new WriteBatcher(group(release), 1 << 20, 1);
        final CompletableFuture<byte[]> first = write(batcher, new byte[] {0, 1});
        awaitEntries(1);
        final List<CompletableFuture<byte[]>> later = new ArrayList<>();
        for (byte i = 10; i < 30; i++) {
            later.add(write(batcher, new byte[] {i, 1}));
        }
        awaitBlocked(20);
        release.countDown();

        assertThat(first.get(10, TimeUnit.SECONDS)).containsExactly(1, 0);
        for (int i = 0; i < later.size(); i++) {
            assertThat(later.get(i).get(10, TimeUnit.SECONDS)).containsExactly(1, 10 + i);
        }
        assertThat(entries).hasSize(2);
        assertThat(entries.get(1)).hasSize(20);
    }

    @Test
    void anEntryIsSentByTheThreadOfItsFirstWrite() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final WriteBatcher batcher = new WriteBatcher(group(release), 1 << 20, 1);
        final CompletableFuture<byte[]> first = write(batcher, new byte[] {0});
        awaitEntries(1);
        final List<CompletableFuture<byte[]>> later = new ArrayList<>();
        for (byte i = 1; i <= 5; i++) {
            later.add(write(batcher, new byte[] {i}));
            awaitBlocked(i);
        }
        release.countDown();
        first.get(10, TimeUnit.SECONDS);
        for (CompletableFuture<byte[]> f : later) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertThat(entries).hasSize(2);
        assertThat(senders.get(0)).isSameAs(writers.get((byte) 0));
        // Not the first entry's sender, whose own answer would then wait for an entry without its write.
        assertThat(senders.get(1)).isSameAs(writers.get(entries.get(1).get(0)[0]));
        assertThat(entries.get(1).get(0)).containsExactly(1);
    }

    @Test
    void anEntryIsProposedUntilItsOldestWritesDeadlineNotForAFreshTimeout() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final WriteBatcher batcher = new WriteBatcher(group(release), 1 << 20, 1);
        final long now = System.nanoTime();
        final long second = TimeUnit.SECONDS.toNanos(1);
        final CompletableFuture<byte[]> first = write(batcher, new byte[] {0}, now + 30 * second);
        awaitEntries(1);
        // Queued while the first entry is in flight: the older one's timeout is the shorter one left.
        final CompletableFuture<byte[]> older = write(batcher, new byte[] {1}, now + 20 * second);
        awaitBlocked(1);
        final CompletableFuture<byte[]> younger = write(batcher, new byte[] {2}, now + 25 * second);
        awaitBlocked(2);
        release.countDown();
        for (CompletableFuture<byte[]> f : List.of(first, older, younger)) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertThat(entries).hasSize(2);
        assertThat(deadlines).containsExactly(now + 30 * second, now + 20 * second);
    }

    @Test
    void anEntryHoldsNoMoreThanTheLimitButAlwaysOneCommand() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        // room for two commands of 10 bytes per entry
        final int limit = CommandBatch.HEADER_BYTES + 2 * (CommandBatch.ITEM_OVERHEAD + 10);
        final WriteBatcher batcher = new WriteBatcher(group(release), limit, 1);
        final CompletableFuture<byte[]> first = write(batcher, new byte[100]);
        awaitEntries(1);
        final List<CompletableFuture<byte[]>> later = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            later.add(write(batcher, new byte[10]));
        }
        awaitBlocked(5);
        release.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS)).hasSize(100);
        for (CompletableFuture<byte[]> f : later) {
            assertThat(f.get(10, TimeUnit.SECONDS)).hasSize(10);
        }
        assertThat(entries.get(0)).hasSize(1);
        assertThat(entries.subList(1, entries.size())).allSatisfy(e -> assertThat(e).hasSizeBetween(1, 2));
        assertThat(entries.stream().mapToInt(List::size).sum()).isEqualTo(6);
    }

    @Test
    void aFailedEntryFailsEveryWriteInItWithTheSameException() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final WriteBatcher.Sender failing = (entry, deadline) -> {
            entries.add(CommandBatch.decode(entry));
            await(release);
            throw new ClusterUnavailableException("no majority", null);
        };
        final WriteBatcher batcher = new WriteBatcher(failing, 1 << 20, 1);
        final CompletableFuture<byte[]> first = write(batcher, new byte[] {1});
        awaitEntries(1);
        final CompletableFuture<byte[]> second = write(batcher, new byte[] {2});
        final CompletableFuture<byte[]> third = write(batcher, new byte[] {3});
        awaitBlocked(2);
        release.countDown();
        for (CompletableFuture<byte[]> f : List.of(first, second, third)) {
            assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(
                    ClusterUnavailableException.class).hasMessageContaining("no majority");
        }
        assertThat(entries).hasSize(2);
    }

    @Test
    void aWriteNotTakenByItsDeadlineIsNeverProposed() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final WriteBatcher batcher = new WriteBatcher(group(release), 1 << 20, 1);
        final CompletableFuture<byte[]> first = write(batcher, new byte[] {1});
        awaitEntries(1);
        assertThatThrownBy(() -> batcher.write(new byte[] {2}, System.nanoTime() + Duration.ofMillis(100).toNanos()))
                .isInstanceOf(ClusterUnavailableException.class).hasMessageContaining("not proposed");
        release.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS)).containsExactly(1);
        assertThat(write(batcher, new byte[] {3}).get(10, TimeUnit.SECONDS)).containsExactly(3);
        assertThat(entries).hasSize(2);
        assertThat(entries.get(1)).containsExactly(new byte[] {3});
    }

    @Test
    void answersThatDoNotMatchTheEntryFailItsWrites() {
        final WriteBatcher batcher = new WriteBatcher((entry, deadline) -> CommandBatch.encode(List.of()),
                1 << 20, 4);
        assertThatThrownBy(() -> batcher.write(new byte[] {1}, System.nanoTime() + TimeUnit.SECONDS.toNanos(10)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("0 results to a batch of 1");
    }

    private CompletableFuture<byte[]> write(WriteBatcher batcher, byte[] command) {
        return write(batcher, command, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    }

    private CompletableFuture<byte[]> write(WriteBatcher batcher, byte[] command, long deadline) {
        return CompletableFuture.supplyAsync(() -> {
            writers.put(command[0], Thread.currentThread());
            return batcher.write(command, deadline);
        }, threads);
    }

    private void awaitEntries(int n) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (entries.size() < n) {
            assertThat(System.nanoTime()).as("entries sent in time").isLessThan(deadline);
            Thread.sleep(0, 100_000);
        }
    }

    /** Polls until {@code n} pool threads wait in the batcher (for a free slot or for their entry). */
    private void awaitBlocked(int n) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (blockedInBatcher() < n) {
            assertThat(System.nanoTime()).as("writers waiting in time").isLessThan(deadline);
            Thread.sleep(0, 100_000);
        }
    }

    /** Threads waiting inside {@link WriteBatcher#write} but not proposing an entry themselves. */
    private static long blockedInBatcher() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getState() == Thread.State.WAITING
                        || e.getKey().getState() == Thread.State.TIMED_WAITING)
                .filter(e -> inBatcher(e.getValue(), "write") && !inBatcher(e.getValue(), "propose"))
                .count();
    }

    private static boolean inBatcher(StackTraceElement[] stack, String method) {
        return java.util.Arrays.stream(stack).anyMatch(f -> f.getClassName().equals(WriteBatcher.class.getName())
                && f.getMethodName().equals(method));
    }

    private static byte[] reversed(byte[] b) {
        final byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
