package dev.kvstore.bench;

import static dev.kvstore.store.Precondition.NONE;

import dev.kvstore.store.StoreOptions;
import dev.kvstore.store.SyncMode;
import dev.kvstore.store.Value;
import dev.kvstore.store.WalKeyValueStore;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;

/**
 * Heap held by the index per key: a store (sync=none, compaction off) in a temporary directory, 1,000,000 keys of
 * exactly 16 bytes, measured as the difference of two class histograms of live objects ({@code GC.class_histogram},
 * the diagnostic command {@code jcmd <pid> GC.class_histogram} runs, which does a full GC first), one taken with the
 * empty store open and one after the inserts, with the store still open. First with 8-byte integer values, then with
 * 16-byte string values (the shape of Redis's 104.5 bytes/key, quoted in bench/README.md under footprint.sh). Not a
 * test: run it with {@code bench/footprint.sh}.
 */
public final class IndexFootprint {

    private static final int KEYS = 1_000_000;
    private static final int TOP = 10;
    private static final Pattern ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");

    private IndexFootprint() {
    }

    /** The {@code i}-th key: exactly 16 ASCII bytes. */
    static String key(int i) {
        return String.format(Locale.ROOT, "key:%012d", i);
    }

    public static void main(String[] args) throws Exception {
        var runtime = ManagementFactory.getRuntimeMXBean();
        System.out.printf(Locale.ROOT, "JVM %s %s, pid %d, max heap %d MB, flags: %s%n", runtime.getVmName(),
                runtime.getVmVersion(), ProcessHandle.current().pid(),
                Runtime.getRuntime().maxMemory() >> 20, vmFlags());
        System.out.printf(Locale.ROOT, "Method: GC.class_histogram (as `jcmd %d GC.class_histogram`: full GC, then live"
                + " objects per class) with the empty store open, and again after %,d set() calls with the store"
                + " still open; the difference is what the %,d keys hold.%n%n", ProcessHandle.current().pid(), KEYS,
                KEYS);
        // Warm-up pass, so that classes, JIT-ed code and lazily built JDK structures are there before the baseline.
        measure("warm-up (not reported)", 8, i -> Value.of((long) i), 10_000, false);
        List<Result> results = new ArrayList<>();
        results.add(measure("16-byte key, 8-byte integer value", 8, i -> Value.of((long) i), KEYS, true));
        results.add(measure("16-byte key, 16-byte string value", 16,
                i -> Value.of(String.format(Locale.ROOT, "v%015d", i)), KEYS, true));
        System.out.println("Summary (bytes per key of live heap; raw = key + value bytes):");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "  %-36s %6.1f B/key total, %6.1f B/key beyond the %d raw bytes%n", r.name,
                    r.perKey, r.perKey - r.raw, r.raw);
        }
        System.out.println("  Redis 7 (bench/README.md, 16-byte keys and values): 104.5 B/key (used_memory), 111 B/key of RSS");
    }

    record Result(String name, int raw, double perKey) {
    }

    private static Result measure(String name, int valueBytes, LongFunction<Value> value, int keys, boolean print)
            throws Exception {
        Path dir = Files.createTempDirectory("kv-footprint-");
        try {
            StoreOptions options = BenchFiles.options(dir, SyncMode.NONE);
            try (WalKeyValueStore store = WalKeyValueStore.open(options)) {
                Map<String, long[]> before = histogram();
                long heapBefore = usedHeap();
                long t0 = System.nanoTime();
                for (int i = 0; i < keys; i++) {
                    String k = key(i);
                    if (k.getBytes(StandardCharsets.UTF_8).length != 16) {
                        throw new IllegalStateException("key of " + k.length() + " bytes");
                    }
                    store.put(k, value.apply(i), NONE);
                }
                long insertNanos = System.nanoTime() - t0;
                Map<String, long[]> after = histogram();
                long heapAfter = usedHeap();
                if (store.size() != keys) {
                    throw new IllegalStateException("the store holds " + store.size() + " keys");
                }
                long logBytes = Files.size(options.logFile());
                Result r = report(name, 16 + valueBytes, keys, before, after, heapBefore, heapAfter, insertNanos,
                        store.status().liveBytes(), logBytes, print);
                return r;
            }
        } finally {
            BenchFiles.deleteTree(dir);
        }
    }

    private static Result report(String name, int raw, int keys, Map<String, long[]> before, Map<String, long[]> after,
                                 long heapBefore, long heapAfter, long insertNanos, long liveBytes, long logBytes,
                                 boolean print) {
        Set<String> classes = new HashSet<>(before.keySet());
        classes.addAll(after.keySet());
        List<Map.Entry<String, long[]>> diff = new ArrayList<>();
        long totalBytes = 0;
        long totalInstances = 0;
        for (String c : classes) {
            long[] b = before.getOrDefault(c, new long[2]);
            long[] a = after.getOrDefault(c, new long[2]);
            long[] d = {a[0] - b[0], a[1] - b[1]};
            totalInstances += d[0];
            totalBytes += d[1];
            diff.add(Map.entry(c, d));
        }
        diff.sort(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -Math.abs(e.getValue()[1])));
        double perKey = (double) totalBytes / keys;
        if (print) {
            System.out.printf(Locale.ROOT, "== %s: %,d keys inserted in %.1f s ==%n", name, keys, insertNanos / 1e9);
            System.out.printf(Locale.ROOT, "%-58s %12s %14s %10s %10s%n", "class (difference after - before)",
                    "instances", "bytes", "inst/key", "B/key");
            for (int i = 0; i < Math.min(TOP, diff.size()); i++) {
                var e = diff.get(i);
                System.out.printf(Locale.ROOT, "%-58s %,12d %,14d %10.3f %10.2f%n", e.getKey(), e.getValue()[0],
                        e.getValue()[1], (double) e.getValue()[0] / keys, (double) e.getValue()[1] / keys);
            }
            long rest = totalBytes;
            for (int i = 0; i < Math.min(TOP, diff.size()); i++) {
                rest -= diff.get(i).getValue()[1];
            }
            System.out.printf(Locale.ROOT, "%-58s %12s %,14d %10s %10.2f%n", "(all other classes)", "", rest, "",
                    (double) rest / keys);
            System.out.printf(Locale.ROOT, "%-58s %,12d %,14d %10.3f %10.2f%n", "TOTAL", totalInstances, totalBytes,
                    (double) totalInstances / keys, perKey);
            System.out.printf(Locale.ROOT, "=> %.1f bytes/key of heap; %.1f bytes/key beyond the %d bytes of key and"
                    + " value themselves%n", perKey, perKey - raw, raw);
            System.out.printf(Locale.ROOT, "   cross-check, used heap after System.gc() (MemoryMXBean): %.1f bytes/key%n",
                    (double) (heapAfter - heapBefore) / keys);
            System.out.printf(Locale.ROOT, "   on disk: the log takes %.1f bytes/key (%,d bytes), a compacted one"
                    + " %.1f (liveBytes)%n%n", (double) logBytes / keys, logBytes, (double) liveBytes / keys);
        }
        return new Result(name, raw, perKey);
    }

    /** Live objects per class: {class name: {instances, bytes}}, after the full GC the command does first. */
    static Map<String, long[]> histogram() throws Exception {
        String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        Map<String, long[]> out = new HashMap<>();
        for (String line : text.split("\n")) {
            Matcher m = ROW.matcher(line);
            if (m.find()) {
                long[] v = out.computeIfAbsent(m.group(3), c -> new long[2]);
                v[0] += Long.parseLong(m.group(1));
                v[1] += Long.parseLong(m.group(2));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("no class histogram: " + text);
        }
        return out;
    }

    private static long usedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return heap.getUsed();
    }

    private static String vmFlags() {
        List<String> flags = new ArrayList<>();
        var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        for (String f : new String[] {"UseCompressedOops", "UseCompressedClassPointers", "CompactStrings",
                "ObjectAlignmentInBytes", "UseG1GC", "UseParallelGC", "UseSerialGC"}) {
            try {
                flags.add(f + "=" + bean.getVMOption(f).getValue());
            } catch (IllegalArgumentException e) {
                // not a flag of this VM
            }
        }
        return String.join(" ", flags);
    }

}
