package dev.kvstore.store;

import static dev.kvstore.store.Precondition.NONE;

import dev.kvstore.bench.BenchFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * The engine alone (issue 5): no HTTP, no Spring, the real file system under {@code target/bench/engine} and real
 * {@code FileChannel.force}. In this package so that it reaches {@link Frame} and {@link LogScanner}.
 * <ul>
 *   <li>{@code codec*}: encode a version-2 SET frame ({@link Frame#encodeV2} + {@link Frame#stamp}), with and without
 *       the UTF-8 encoding of key and value the store does first; check and decode one ({@link Frame#checkLength},
 *       {@link Frame#checkBody}, {@link Frame#decode}). 16-byte key, 16-byte string value.</li>
 *   <li>{@code append*}: {@link WalKeyValueStore#put} of a key drawn at random from 1,000,000 16-byte keys, 16-byte
 *       string value, compaction off, under {@code sync=none} (never forced) and {@code sync=always} (one
 *       {@code force} per group commit), from 1, 8 and 64 threads. The writes per group (and so per force) are
 *       counted through {@link StoreObserver#onBatch} and printed after each iteration as {@code [append ...]}.</li>
 *   <li>{@code replay*}: recovery of a 102 MB log of 1,500,000 SET frames over 1,000,000 keys, in the page cache:
 *       {@code replay} is {@link WalKeyValueStore#open} + {@code close} of it, of its compacted form (68 MB) and of
 *       the same log with one key attached to a lease ({@code leased}: replay then tracks attachments), each with the
 *       change feed's default 64 MB history window and with none; the others take it apart: {@code replayRead} only
 *       reads the file through a 1 MiB buffer as the scanner does,
 *       {@code replayScan} also checks every frame ({@link LogScanner}), {@code replayApply} also feeds
 *       the frames to the consumer {@code open} gives recovery ({@code KeyIndex.Builder}) and builds the index,
 *       without the rest of {@code open}. MB/s (10^6 bytes) is
 *       printed at the end of each trial as {@code [replay ...]}.</li>
 * </ul>
 * Run with {@code bench/engine.sh [pattern]}; never part of {@code ./mvnw verify}.
 */
public class EngineBenchmark {

    static final Path ROOT = Path.of("target", "bench", "engine");
    static final byte MAGIC = (byte) 0xAA;

    /** Keys the append benchmarks draw from, and keys of the replay log. */
    static final int KEYS = 1_000_000;
    /** Frames of the replay log: one SET per key, then 500,000 overwrites of random keys. */
    static final int REPLAY_FRAMES = 1_500_000;

    static StoreOptions options(Path dir, SyncMode sync) {
        return BenchFiles.options(dir, sync);
    }

    static LogFormat format() {
        return options(ROOT, SyncMode.NONE).format();
    }

    /** A bijection on longs that scatters consecutive numbers, so distinct keys in no sorted order. */
    static long scatter(long x) {
        x = (x ^ (x >>> 33)) * 0xff51afd7ed558ccdL;
        x = (x ^ (x >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return x ^ (x >>> 33);
    }

    /** The {@code i}-th key: 16 hex digits, so exactly 16 bytes, all distinct. */
    static String key(int i) {
        return String.format(Locale.ROOT, "%016x", scatter(i));
    }

    /** A 16-byte string value. */
    static Value value(long i) {
        return Value.of(String.format(Locale.ROOT, "v%015d", i));
    }

    // ---------------------------------------------------------------- codec

    @State(Scope.Thread)
    public static class Codec {
        LogFormat format;
        String keyText;
        Value valueText;
        byte[] key;
        byte[] value;
        byte[] frame;
        long revision = 1_234_567;
        long createRevision = 1_000_000;

        @Setup
        public void setup() {
            format = format();
            keyText = key(42);
            valueText = value(42);
            key = keyText.getBytes(StandardCharsets.UTF_8);
            value = ((Value.Text) valueText).value().getBytes(StandardCharsets.UTF_8);
            frame = Frame.encodeV2(MAGIC, Frame.OP_SET, Frame.ENCODING_UTF8, key, value);
            Frame.stamp(frame, 0, revision, createRevision);
            if (key.length != 16 || value.length != 16 || frame.length != 68) {
                throw new IllegalStateException("expected a 68-byte frame of a 16-byte key and value");
            }
        }
    }

    /** Encode from the key and value bytes: what the writer's frame costs once the caller has UTF-8 bytes. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 5, time = 2)
    @Measurement(iterations = 5, time = 2)
    @Fork(1)
    public byte[] codecEncode(Codec s) {
        byte[] frame = Frame.encodeV2(MAGIC, Frame.OP_SET, Frame.ENCODING_UTF8, s.key, s.value);
        Frame.stamp(frame, 0, s.revision, s.createRevision);
        return frame;
    }

    /** Encode from the String key and Value, as {@code set} does (UTF-8 encoding of both, then the frame). */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 5, time = 2)
    @Measurement(iterations = 5, time = 2)
    @Fork(1)
    public byte[] codecEncodeFromStrings(Codec s) {
        byte[] frame = Frame.encodeV2(MAGIC, Frame.OP_SET, s.valueText.type().encoding(), Utf8.encode(s.keyText),
                Frame.valueBytes(s.valueText));
        Frame.stamp(frame, 0, s.revision, s.createRevision);
        return frame;
    }

    /** Check (length, then lengths, CRC, magic, version, revisions, op and encoding) and decode, as the scanner does. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 5, time = 2)
    @Measurement(iterations = 5, time = 2)
    @Fork(1)
    public Object codecDecode(Codec s) {
        byte[] buf = s.frame;
        FrameDefect defect = Frame.checkLength(Frame.totalLength(buf, 0), buf.length, s.format);
        if (defect == null) {
            defect = Frame.checkBody(buf, 0, s.format);
        }
        if (defect != null) {
            throw new IllegalStateException(defect.toString());
        }
        return Frame.decode(buf, 0);
    }

    // ---------------------------------------------------------------- append

    /** Counts the groups the writer thread wrote and the forces it made; it is the only thread that calls these. */
    static final class GroupCounter implements StoreObserver {
        final AtomicLong groups = new AtomicLong();
        final AtomicLong writes = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong forces = new AtomicLong();
        final AtomicLong forceNanos = new AtomicLong();

        @Override
        public void onBatch(int n, int b) {
            groups.incrementAndGet();
            writes.addAndGet(n);
            bytes.addAndGet(b);
        }

        @Override
        public void onForce(long nanos, boolean succeeded) {
            forces.incrementAndGet();
            forceNanos.addAndGet(nanos);
        }

        long[] snapshot() {
            return new long[] {groups.get(), writes.get(), bytes.get(), forces.get(), forceNanos.get()};
        }
    }

    /** One store per trial, shared by the benchmark's threads. */
    @State(Scope.Benchmark)
    public static class AppendStore {
        @Param({"NONE", "ALWAYS"})
        public SyncMode sync;

        /** The 16-byte keys, drawn at random by each thread; the index never holds more than these. */
        String[] keys;
        Value value;
        Path dir;
        WalKeyValueStore store;
        final GroupCounter counter = new GroupCounter();
        String label;
        long[] atIterationStart;
        long iterationStartNanos;
        boolean measuring;
        /** Sums over the measurement iterations: groups, writes, bytes, forces, force nanos, elapsed nanos. */
        final long[] measured = new long[6];

        @Setup(Level.Trial)
        public void open(BenchmarkParams params) throws IOException {
            keys = new String[KEYS];
            for (int i = 0; i < KEYS; i++) {
                keys[i] = key(i);
            }
            value = value(7);
            label = sync + " x" + params.getThreads();
            dir = ROOT.resolve("append-" + sync + "-" + params.getThreads());
            BenchFiles.deleteTree(dir);
            store = WalKeyValueStore.open(options(dir, sync).withObserver(counter));
        }

        @Setup(Level.Iteration)
        public void startIteration(IterationParams params) {
            measuring = params.getType() == IterationType.MEASUREMENT;
            atIterationStart = counter.snapshot();
            iterationStartNanos = System.nanoTime();
        }

        @TearDown(Level.Iteration)
        public void endIteration() {
            long elapsed = System.nanoTime() - iterationStartNanos;
            long[] now = counter.snapshot();
            long[] d = new long[6];
            for (int i = 0; i < 5; i++) {
                d[i] = now[i] - atIterationStart[i];
            }
            d[5] = elapsed;
            System.out.printf(Locale.ROOT, "%n[append %s] %s%n", label, describe(d));
            if (measuring) {
                for (int i = 0; i < 6; i++) {
                    measured[i] += d[i];
                }
            }
        }

        static String describe(long[] d) {
            double seconds = d[5] / 1e9;
            return String.format(Locale.ROOT, "%,d writes in %,d groups = %.2f writes/group (%.0f bytes/group);"
                            + " %,d forces = %.0f forces/s, %.2f writes/force, mean force %.3f ms",
                    d[1], d[0], d[0] == 0 ? 0.0 : (double) d[1] / d[0], d[0] == 0 ? 0.0 : (double) d[2] / d[0],
                    d[3], d[3] / seconds, d[3] == 0 ? 0.0 : (double) d[1] / d[3],
                    d[3] == 0 ? 0.0 : d[4] / 1e6 / d[3]);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            int size = store.size();
            store.close();
            System.out.printf(Locale.ROOT, "%n[append %s] over the measurement iterations: %s; %,d keys in the index,"
                    + " log %.0f MB%n", label, describe(measured), size,
                    Files.size(dir.resolve(StoreOptions.LOG_FILE_NAME)) / 1e6);
            BenchFiles.deleteTree(dir);
        }
    }

    /** Each thread's own random choice of keys. */
    @State(Scope.Thread)
    public static class KeyPicker {
        private static final AtomicInteger SEEDS = new AtomicInteger();
        SplittableRandom random;

        @Setup(Level.Trial)
        public void seed() {
            random = new SplittableRandom(1_000 + SEEDS.getAndIncrement());
        }
    }

    private static Object set(AppendStore s, KeyPicker k) {
        return s.store.put(s.keys[k.random.nextInt(KEYS)], s.value, NONE).outcome();
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 2, time = 3)
    @Measurement(iterations = 5, time = 3)
    @Fork(1)
    @Threads(1)
    public Object append1Thread(AppendStore s, KeyPicker k) {
        return set(s, k);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 2, time = 3)
    @Measurement(iterations = 5, time = 3)
    @Fork(1)
    @Threads(8)
    public Object append8Threads(AppendStore s, KeyPicker k) {
        return set(s, k);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 2, time = 3)
    @Measurement(iterations = 5, time = 3)
    @Fork(1)
    @Threads(64)
    public Object append64Threads(AppendStore s, KeyPicker k) {
        return set(s, k);
    }

    // ---------------------------------------------------------------- replay

    /**
     * The replay log, written once per run (the script deletes {@code target/bench/engine} first) and reused by every
     * fork: 1,000,000 SETs of distinct keys in scattered order, then 500,000 SETs of keys drawn at random, version-2
     * frames with the revisions and creation revisions the store would give them; and its compacted form.
     */
    static synchronized Path template(String which) throws IOException {
        Path full = ROOT.resolve("template-full");
        Path small = ROOT.resolve("template-compacted");
        Path leased = ROOT.resolve("template-leased");
        Path done = ROOT.resolve("template.done");
        if (!Files.exists(done)) {
            BenchFiles.deleteTree(full);
            BenchFiles.deleteTree(small);
            BenchFiles.deleteTree(leased);
            Files.createDirectories(full);
            Files.createDirectories(leased);
            long t0 = System.nanoTime();
            writeReplayLog(full.resolve(StoreOptions.LOG_FILE_NAME), false);
            long written = System.nanoTime() - t0;
            writeReplayLog(leased.resolve(StoreOptions.LOG_FILE_NAME), true);
            for (Path dir : List.of(full, leased)) {
                try (WalKeyValueStore store = WalKeyValueStore.open(options(dir, SyncMode.NONE))) {
                    if (store.size() != KEYS || store.status().lastRecovery().framesReplayed() != REPLAY_FRAMES) {
                        throw new IllegalStateException("the replay log holds " + store.size() + " keys in "
                                + store.status().lastRecovery().framesReplayed() + " frames");
                    }
                }
            }
            Files.createDirectories(small);
            Files.copy(full.resolve(StoreOptions.LOG_FILE_NAME), small.resolve(StoreOptions.LOG_FILE_NAME),
                    StandardCopyOption.REPLACE_EXISTING);
            try (WalKeyValueStore store = WalKeyValueStore.open(options(small, SyncMode.ALWAYS))) {
                CompactionResult r = store.compact();
                System.out.printf(Locale.ROOT, "%n[replay] log of %,d frames written in %.1f s: %,d bytes; compacted"
                        + " in %.1f s to %,d bytes%n", REPLAY_FRAMES, written / 1e9, r.bytesBefore(),
                        r.duration().toNanos() / 1e9, r.bytesAfter());
            }
            Files.writeString(done, "ok");
        }
        return (which.equals("compacted") ? small : which.equals("leased") ? leased : full)
                .resolve(StoreOptions.LOG_FILE_NAME);
    }

    /**
     * The replay log; {@code leased}: the same, but its first frame also grants a lease and attaches the first key to
     * it, so that one key of a million has a lease.
     */
    private static void writeReplayLog(Path log, boolean leased) throws IOException {
        byte[][] keys = new byte[KEYS][];
        for (int i = 0; i < KEYS; i++) {
            keys[i] = key(i).getBytes(StandardCharsets.UTF_8);
        }
        SplittableRandom random = new SplittableRandom(42);
        ByteBuffer out = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int f = 0; f < REPLAY_FRAMES; f++) {
                long revision = f + 1;
                int k = f < KEYS ? f : random.nextInt(KEYS);
                byte[] frame = f == 0 && leased
                        ? Frame.encodeBatch(MAGIC, List.of(Frame.encodeGrantOp(revision, 3_600_000),
                                Frame.encodeSetOp(keys[k], value(revision), k + 1, revision)), revision)
                        : Frame.encodeSetV2(MAGIC, keys[k], value(revision), revision, k + 1);
                if (out.remaining() < frame.length) {
                    out.flip();
                    while (out.hasRemaining()) {
                        ch.write(out);
                    }
                    out.clear();
                }
                out.put(frame);
            }
            out.flip();
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ch.force(true);
        }
    }

    /** Reads the whole file once, so that it sits in the page cache. */
    static long warmPageCache(Path log) throws IOException {
        long sum = 0;
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
            while (ch.read(buf) > 0) {
                sum += buf.get(0);
                buf.clear();
            }
        }
        return sum;
    }

    /** Times each invocation itself, to print MB/s per trial. */
    abstract static class Timed {
        Path file;
        long bytes;
        String label;
        boolean measuring;
        final List<Long> nanos = new ArrayList<>();

        void prepare(String which, String label) throws IOException {
            this.file = template(which);
            this.bytes = Files.size(file);
            this.label = label;
            warmPageCache(file);
        }

        void record(long elapsed) {
            if (measuring) {
                nanos.add(elapsed);
            }
        }

        void report() {
            long[] t = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
            if (t.length == 0) {
                return;
            }
            double mean = Arrays.stream(t).average().orElse(0);
            long median = t[t.length / 2];
            System.out.printf(Locale.ROOT, "%n[replay %s] %,d bytes (%.1f MB): median %.1f ms = %.0f MB/s, mean %.1f ms"
                            + " = %.0f MB/s, best %.1f ms = %.0f MB/s, over %d invocations%n", label, bytes, bytes / 1e6,
                    median / 1e6, bytes / 1e6 / (median / 1e9), mean / 1e6, bytes / 1e6 / (mean / 1e9), t[0] / 1e6,
                    bytes / 1e6 / (t[0] / 1e9), t.length);
        }
    }

    @State(Scope.Benchmark)
    public static class ReplayLog extends Timed {
        @Param({"full", "compacted", "leased"})
        public String log;

        /**
         * The change feed's history window: {@code 64MB} (the default cap; the window's frames are applied one by
         * one to derive their events) or {@code none} (a retention of one byte keeps no event, so the whole log goes
         * the builder's fast way): their ratio is what the history costs a start.
         */
        @Param({"64MB", "none"})
        public String history;

        Path dir;
        /** Recovery's own figure (scan + index), from {@link RecoveryReport#duration}. */
        final List<Long> recoveryNanos = new ArrayList<>();

        @Setup(Level.Trial)
        public void prepare() throws IOException {
            prepare(log, "open+close, " + log + " log, history " + history);
            dir = file.getParent();
        }

        @Setup(Level.Iteration)
        public void iteration(IterationParams params) {
            measuring = params.getType() == IterationType.MEASUREMENT;
        }

        @TearDown(Level.Trial)
        public void summary() {
            report();
            long[] r = recoveryNanos.stream().mapToLong(Long::longValue).sorted().toArray();
            if (r.length > 0) {
                System.out.printf(Locale.ROOT, "[replay %s] of which recovery (RecoveryReport.duration): median %.1f ms"
                        + " = %.0f MB/s%n", label, r[r.length / 2] / 1e6, bytes / 1e6 / (r[r.length / 2] / 1e9));
            }
        }
    }

    /** The full log only, for the parts of replay. */
    @State(Scope.Benchmark)
    public static class FullLog extends Timed {
        LogFormat format;

        @Setup(Level.Trial)
        public void prepare(BenchmarkParams params) throws IOException {
            String name = params.getBenchmark();
            prepare("full", name.substring(name.lastIndexOf('.') + 1) + ", full log");
            format = format();
        }

        @Setup(Level.Iteration)
        public void iteration(IterationParams params) {
            measuring = params.getType() == IterationType.MEASUREMENT;
        }

        @TearDown(Level.Trial)
        public void summary() {
            report();
        }
    }

    /** Start-up on the log: {@link WalKeyValueStore#open} (recovery, index, force, mark, threads) and close. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 8)
    @Fork(1)
    public int replay(ReplayLog s) throws IOException {
        long t0 = System.nanoTime();
        int size;
        long recovery;
        StoreOptions options = options(s.dir, SyncMode.ALWAYS)
                .withHistoryRetention(s.history.equals("none") ? 1 : StoreOptions.DEFAULT_HISTORY_RETENTION_CAP);
        try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
            size = store.size();
            recovery = store.status().lastRecovery().duration().toNanos();
        }
        s.record(System.nanoTime() - t0);
        if (s.measuring) {
            s.recoveryNanos.add(recovery);
        }
        if (size != KEYS) {
            throw new IllegalStateException("replayed " + size + " keys");
        }
        return size;
    }

    /** Only the reads: the file through a 1 MiB heap buffer, as {@link LogScanner} reads it. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 8)
    @Fork(1)
    public long replayRead(FullLog s) throws IOException {
        long t0 = System.nanoTime();
        long sum = 0;
        byte[] buf = new byte[1 << 20];
        try (LogChannel ch = LogStorage.files().open(s.file, false)) {
            long size = ch.size();
            for (long pos = 0; pos < size; ) {
                ByteBuffer dst = ByteBuffer.wrap(buf, 0, (int) Math.min(buf.length, size - pos));
                while (dst.hasRemaining()) {
                    if (ch.read(dst, pos + dst.position()) < 0) {
                        throw new IOException("short read");
                    }
                }
                sum += buf[0];
                pos += dst.limit();
            }
        }
        s.record(System.nanoTime() - t0);
        return sum;
    }

    /** Reads and checks every frame (envelope, layout, UTF-8: {@link LogScanner#scan}) and drops the runs. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 8)
    @Fork(1)
    public long replayScan(FullLog s, Blackhole bh) throws IOException {
        long t0 = System.nanoTime();
        LogScanner.Result r;
        try (LogChannel ch = LogStorage.files().open(s.file, false)) {
            r = new LogScanner(ch, s.format, ch.size()).scan((buf, from, to, offset, count) -> {
                bh.consume(count);
                return buf;
            });
        }
        s.record(System.nanoTime() - t0);
        if (!r.clean() || r.frames() != REPLAY_FRAMES) {
            throw new IllegalStateException("scan stopped at " + r);
        }
        return r.frames();
    }

    /**
     * The scan feeding {@code KeyIndex.Builder}, the consumer {@code open} hands to recovery (which applies the runs of
     * frames on a thread of its own), and the index built from it; without the rest of {@code open} (the force, the
     * forced mark, the writer's threads, and the close).
     */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 8)
    @Fork(1)
    public Object replayApply(FullLog s) throws IOException {
        long t0 = System.nanoTime();
        KeyIndex.Builder replay = new KeyIndex.Builder();
        LogScanner.Result r;
        try (LogChannel ch = LogStorage.files().open(s.file, false)) {
            r = new LogScanner(ch, s.format, ch.size()).scan(replay);
        }
        KeyIndex index = new KeyIndex(replay);
        s.record(System.nanoTime() - t0);
        if (!r.clean() || index.revision() != REPLAY_FRAMES || index.size() != KEYS) {
            throw new IllegalStateException("replayed up to revision " + index.revision() + ", scan " + r);
        }
        return index;
    }
}
