package dev.kvstore.bench;

import static dev.kvstore.store.Precondition.NONE;

import dev.kvstore.store.CompactionResult;
import dev.kvstore.store.StoreOptions;
import dev.kvstore.store.SyncMode;
import dev.kvstore.store.Value;
import dev.kvstore.store.WalKeyValueStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Compaction of a log that took 1,000,000 PUTs over 10,000 keys (16-byte string values), on the real file system
 * with real forces, in {@code target/bench}. Three measurements, each against its baseline in the same run:
 * <ul>
 *   <li>{@code compact}: one compaction of that log (single shot, a fresh copy each time);</li>
 *   <li>{@code put}: the latency of a durable PUT ({@code sync=always}), with compactions running back to back
 *       ({@code compacting=true}) or not, on that store (10,000 live keys: a compaction every few milliseconds) and
 *       on one of 1,000,000 live keys (45 MB rewritten by each compaction);</li>
 *   <li>{@code open}: start-up (recovery and replay) of that log before and after compaction.</li>
 * </ul>
 * Run with {@code bench/compaction.sh}; never part of {@code ./mvnw verify}.
 */
public class CompactionBenchmark {

    static final int PUTS = 1_000_000;
    static final int KEYS = 10_000;
    private static final Path ROOT = Path.of("target", "bench");

    static String key(int i) {
        return String.format("key-%07d", i);
    }

    /** 16 bytes. */
    static Value value(long i) {
        return Value.of(String.format("v%015d", i));
    }

    static StoreOptions options(Path dir, SyncMode sync) {
        return BenchFiles.options(dir, sync);
    }

    /**
     * The log after 1,000,000 PUTs over {@code keys} keys, written once per fork (unforced, then forced by close),
     * and its compacted form.
     */
    static synchronized Path template(int keys, boolean compacted) throws IOException {
        Path full = ROOT.resolve("template-" + keys + "-full");
        Path small = ROOT.resolve("template-" + keys + "-compacted");
        if (!Files.exists(small.resolve(StoreOptions.LOG_FILE_NAME))) {
            BenchFiles.deleteTree(full);
            BenchFiles.deleteTree(small);
            try (WalKeyValueStore store = WalKeyValueStore.open(options(full, SyncMode.NONE))) {
                for (int i = 0; i < PUTS; i++) {
                    store.put(key(i % keys), value(i), NONE);
                }
            }
            copy(full, small);
            try (WalKeyValueStore store = WalKeyValueStore.open(options(small, SyncMode.ALWAYS))) {
                CompactionResult r = store.compact();
                System.out.printf("%n[compaction] %d PUTs over %d keys: log %d bytes, live %d bytes; after compaction"
                        + " %d bytes = %.4f x live, in %.1f ms (writes paused %.3f ms)%n", PUTS, keys, r.bytesBefore(),
                        r.liveBytes(), r.bytesAfter(), (double) r.bytesAfter() / r.liveBytes(),
                        r.duration().toNanos() / 1e6, r.pause().toNanos() / 1e6);
            }
        }
        return compacted ? small : full;
    }

    static Path fresh(String name, int keys, boolean compacted) throws IOException {
        Path dir = ROOT.resolve(name);
        BenchFiles.deleteTree(dir);
        copy(template(keys, compacted), dir);
        return dir;
    }

    static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        Files.copy(from.resolve(StoreOptions.LOG_FILE_NAME), to.resolve(StoreOptions.LOG_FILE_NAME),
                StandardCopyOption.REPLACE_EXISTING);
    }

    /** One compaction of the 1,000,000-PUT log, a fresh copy of it each time. */
    @State(Scope.Thread)
    public static class Uncompacted {
        WalKeyValueStore store;

        @Setup(Level.Invocation)
        public void open() throws IOException {
            store = WalKeyValueStore.open(options(fresh("compact", KEYS, false), SyncMode.ALWAYS));
        }

        @TearDown(Level.Invocation)
        public void close() throws IOException {
            store.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 8)
    @Fork(1)
    public CompactionResult compact(Uncompacted s) throws IOException {
        return s.store.compact();
    }

    /** A store with {@code keys} live keys; with {@code compacting}, a thread compacts it back to back. */
    @State(Scope.Benchmark)
    public static class Live {
        @Param({"10000", "1000000"})
        public int keys;

        @Param({"false", "true"})
        public boolean compacting;

        WalKeyValueStore store;
        final AtomicLong next = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        Thread compactor;
        long compactions;

        @Setup(Level.Trial)
        public void open() throws IOException {
            store = WalKeyValueStore.open(options(fresh("live", keys, true), SyncMode.ALWAYS));
            if (compacting) {
                compactor = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            store.compact();
                            compactions++;
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                });
                compactor.start();
            }
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            stop.set(true);
            if (compactor != null) {
                compactor.join();
                System.out.printf("%n[put] %d compactions ran during the trial%n", compactions);
            }
            store.close();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 2, time = 3)
    @Measurement(iterations = 5, time = 5)
    @Fork(1)
    public Object put(Live s) {
        long i = s.next.getAndIncrement();
        return s.store.put(key((int) (i % s.keys)), value(i), NONE).outcome();
    }

    /** Start-up on the 1,000,000-PUT log, or on its compacted form. */
    @State(Scope.Thread)
    public static class StartUp {
        @Param({"false", "true"})
        public boolean compacted;

        Path dir;

        @Setup(Level.Trial)
        public void prepare() throws IOException {
            dir = fresh("startup-" + compacted, KEYS, compacted);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 3)
    @Measurement(iterations = 10)
    @Fork(1)
    public int open(StartUp s) throws IOException {
        try (WalKeyValueStore store = WalKeyValueStore.open(options(s.dir, SyncMode.ALWAYS))) {
            return store.size();
        }
    }
}
