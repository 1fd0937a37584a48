package dev.kvstore.bench;

import com.github.luben.zstd.Zstd;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The codecs considered for large values (issue 13), on the values of {@link #values}: LZ4 in lz4-java's pure-Java
 * build (what the store uses) and its JNI build, and Zstandard (zstd-jni, JNI only) at levels 1 and 3. Prints each
 * codec's compressed size once per trial as {@code [compression ...]}; JMH's table gives the time per compress and per
 * decompress of one value. Run with {@code bench/compression.sh}; never part of {@code ./mvnw verify}.
 */
@State(Scope.Thread)
public class CompressionBenchmark {

    @Param({"lz4-java", "lz4-jni", "zstd-1", "zstd-3"})
    public String codec;

    @Param({"text", "json"})
    public String data;

    @Param({"4096", "1048576"})
    public int size;

    byte[] plain;
    byte[] compressed;
    byte[] out;
    LZ4Compressor lz4;
    LZ4SafeDecompressor lz4d;

    @Setup
    public void setup() throws IOException {
        plain = values(data, size);
        if (codec.startsWith("lz4")) {
            // lz4-java: the safe pure-Java codec, as dev.kvstore.store.Compression uses it.
            LZ4Factory f = codec.equals("lz4-jni") ? LZ4Factory.nativeInstance() : LZ4Factory.safeInstance();
            lz4 = f.fastCompressor();
            lz4d = f.safeDecompressor();
        }
        compressed = compress();
        out = new byte[plain.length];
        System.out.printf(Locale.ROOT, "%n[compression %s %s %d] %d -> %d bytes (%.1f%% of the value, %.2f x)%n", codec,
                data, size, plain.length, compressed.length, 100.0 * compressed.length / plain.length,
                (double) plain.length / compressed.length);
    }

    /**
     * Realistic values: {@code text} is this repository's operations and format documents (English prose with code and tables, about 50 KB), from a random
     * place, repeated if need be; {@code json} is an array of user records as an API would store them, with names,
     * e-mail addresses, timestamps, numbers and tags drawn at random.
     */
    static byte[] values(String kind, int size) throws IOException {
        SplittableRandom r = new SplittableRandom(42);
        StringBuilder sb = new StringBuilder(size + 1024);
        if (kind.equals("text")) {
            String readme = Files.readString(Path.of("docs/operations.md"))
                    + Files.readString(Path.of("docs/format.md"));
            int from = r.nextInt(readme.length() / 2);
            while (sb.length() < size) {
                sb.append(readme, from, readme.length());
                from = 0;
            }
        } else {
            String[] first = {"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Frances",
                "John", "Radia", "Leslie", "Tony", "Niklaus", "Shafi", "Butler"};
            String[] last = {"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson",
                "Allen", "Backus", "Perlman", "Lamport", "Hoare", "Wirth", "Goldwasser", "Lampson"};
            String[] tags = {"admin", "beta", "billing", "eu-west", "us-east", "trial", "enterprise", "mobile", "web",
                "api", "verified", "legacy"};
            sb.append('[');
            for (int i = 0; sb.length() < size; i++) {
                String f = first[r.nextInt(first.length)];
                String l = last[r.nextInt(last.length)];
                sb.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "{\"id\":%d,\"name\":\"%s %s\","
                                + "\"email\":\"%s.%s%d@example.com\",\"createdAt\":\"2026-%02d-%02dT%02d:%02d:%02d.%03dZ\","
                                + "\"active\":%b,\"balance\":%.2f,\"logins\":%d,\"tags\":[\"%s\",\"%s\"],"
                                + "\"address\":{\"city\":\"%s\",\"zip\":\"%05d\"}}",
                        100_000 + r.nextInt(900_000), f, l, f.toLowerCase(Locale.ROOT), l.toLowerCase(Locale.ROOT),
                        r.nextInt(100), 1 + r.nextInt(12), 1 + r.nextInt(28), r.nextInt(24), r.nextInt(60),
                        r.nextInt(60), r.nextInt(1000), r.nextBoolean(), r.nextDouble() * 10_000, r.nextInt(5000),
                        tags[r.nextInt(tags.length)], tags[r.nextInt(tags.length)],
                        last[r.nextInt(last.length)] + "ville", r.nextInt(100_000)));
            }
            sb.append(']');
        }
        byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
        return java.util.Arrays.copyOf(b, size);
    }

    byte[] compress() {
        return switch (codec) {
            case "zstd-1" -> Zstd.compress(plain, 1);
            case "zstd-3" -> Zstd.compress(plain, 3);
            default -> lz4.compress(plain);
        };
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(1)
    public byte[] compressValue() {
        return compress();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(1)
    public Object decompressValue() {
        if (codec.startsWith("zstd")) {
            return Zstd.decompress(compressed, plain.length);
        }
        return lz4d.decompress(compressed, 0, compressed.length, out, 0, out.length);
    }
}
