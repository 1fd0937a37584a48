package dev.kvstore.bench;

import dev.kvstore.TestApps;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import java.util.zip.CRC32;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Latency of {@code GET /keys} pages over HTTP, with 1,000 keys and with 1,000,000 (16-byte keys, 8-byte values), one
 * client on loopback, the service in this JVM. A page should cost about its size, not the store's: each scenario is
 * measured at both sizes in the same run, after a pass that warms the JIT up, and a plain GET of one key is the
 * baseline. With 1,000 keys, a page after a random cursor holds 500 keys on average, not 1,000. Not a test: run it with
 * {@code bench/listing.sh}.
 */
public final class ListingLatency {

    private static final int WARMUP = 3000;
    private static final int MEASURED = 5000;

    private ListingLatency() {
    }

    public static void main(String[] args) throws Exception {
        // The first pass only warms up the JIT, so that both sizes are measured on compiled code.
        int[] sizes = {1_000, 1_000, 1_000_000};
        String[][] rows = new String[7][sizes.length];
        String[] names = new String[7];
        for (int s = 0; s < sizes.length; s++) {
            int keys = sizes[s];
            Path dir = Files.createTempDirectory("kv-listing-");
            writeSeedLog(dir.resolve("kvstore.log"), keys);
            long t0 = System.nanoTime();
            try (ConfigurableApplicationContext app = TestApps.start(dir, "--logging.level.root=WARN",
                    "--kv.compaction.auto=false")) {
                System.out.printf("%,d keys: ready in %d ms%n", keys, (System.nanoTime() - t0) / 1_000_000);
                String base = "http://127.0.0.1:" + TestApps.port(app);
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                SplittableRandom rnd = new SplittableRandom(42);
                IntFunction<String> randomKey = i -> key(rnd.nextInt(keys));
                int r = 0;
                names[r] = "GET /keys/{key} (baseline)";
                rows[r++][s] = measure(client, i -> base + "/keys/" + randomKey.apply(i));
                names[r] = "first page, limit 100";
                rows[r++][s] = measure(client, i -> base + "/keys?limit=100");
                names[r] = "page after a random cursor, limit 100";
                rows[r++][s] = measure(client, i -> base + "/keys?limit=100&cursor=" + cursor(randomKey.apply(i)));
                names[r] = "same, keysOnly=true";
                rows[r++][s] = measure(client,
                        i -> base + "/keys?limit=100&keysOnly=true&cursor=" + cursor(randomKey.apply(i)));
                names[r] = "page after a random cursor, limit 1000";
                rows[r++][s] = measure(client, i -> base + "/keys?limit=1000&cursor=" + cursor(randomKey.apply(i)));
                names[r] = "prefix of 10 keys";
                rows[r++][s] = measure(client, i -> base + "/keys?prefix=" + randomKey.apply(i).substring(0, 15));
                names[r] = "prefix that matches nothing";
                rows[r++][s] = measure(client, i -> base + "/keys?prefix=nothing/" + i);
            } finally {
                BenchFiles.deleteTree(dir);
            }
        }
        System.out.printf("%n| request | %,d keys: p50 / p99 | %,d keys: p50 / p99 |%n|---|---|---|%n", sizes[1],
                sizes[2]);
        for (int r = 0; r < names.length; r++) {
            System.out.printf("| %s | %s | %s |%n", names[r], rows[r][1], rows[r][2]);
        }
    }

    /** 16 bytes: {@code user/} and 11 digits. */
    private static String key(int i) {
        return String.format(Locale.ROOT, "user/%011d", i);
    }

    private static String cursor(String key) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] raw = new byte[k.length + 1];
        raw[0] = 1;
        System.arraycopy(k, 0, raw, 1, k.length);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    private static String measure(HttpClient client, IntFunction<String> url) throws Exception {
        long[] nanos = new long[MEASURED];
        for (int i = 0; i < WARMUP + MEASURED; i++) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(url.apply(i))).GET().build();
            long t = System.nanoTime();
            HttpResponse<byte[]> res = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
            long d = System.nanoTime() - t;
            if (res.statusCode() != 200) {
                throw new IllegalStateException(res.statusCode() + " for " + req.uri() + ": "
                        + new String(res.body(), StandardCharsets.UTF_8));
            }
            if (i >= WARMUP) {
                nanos[i - WARMUP] = d;
            }
        }
        Arrays.sort(nanos);
        return String.format(Locale.ROOT, "%.2f / %.2f ms", nanos[MEASURED / 2] / 1e6,
                nanos[MEASURED * 99 / 100] / 1e6);
    }

    /** A seed-format log setting {@code keys} integer keys, written by an encoder of its own. */
    private static void writeSeedLog(Path log, int keys) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(log), 1 << 20)) {
            for (int i = 0; i < keys; i++) {
                byte[] k = key(i).getBytes(StandardCharsets.UTF_8);
                ByteBuffer b = ByteBuffer.allocate(20 + k.length + 8).order(ByteOrder.LITTLE_ENDIAN);
                b.putInt(16 + k.length + 8).put((byte) 0xAA).put((byte) 1).put((byte) 1).put((byte) 1)
                        .putInt(k.length).putInt(8).put(k).putLong(i);
                CRC32 crc = new CRC32();
                crc.update(b.array(), 4, 12 + k.length + 8);
                b.putInt((int) crc.getValue());
                out.write(b.array());
            }
        }
    }
}
