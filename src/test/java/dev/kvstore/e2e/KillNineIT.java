package dev.kvstore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar under concurrent HTTP writers, killed with SIGKILL at random moments and started again on the
 * same data directory, round after round ({@code -Dkv.kill.rounds}, default 6; CI's soak stage runs 20). Each
 * writer owns its keys and does one request at a time, so after each restart every key must hold what its last acknowledged PUT or DELETE
 * left, or what the one request still in flight at the kill would have left. A second test does the same while
 * compactions run back to back on a store preloaded with a large log ({@code -Dkv.kill.compaction.rounds}, default
 * 4; 8 in CI's soak stage), and also checks the preloaded keys and the number of live keys. The restarts use a class-data-sharing
 * archive and the C1 compiler to start faster; {@link PackagedJarIT} checks the image's exact command.
 */
class KillNineIT {

    private static final int WRITERS = 8;
    private static final int KEYS_PER_WRITER = 5;
    /** Keys in the preloaded log, each written twice: 22 MB, 17.5 MB of it live. */
    private static final int PRELOADED = 150_000;

    @TempDir
    Path dataDir;

    /** What a key may hold after a restart: the last acknowledged body, or the body of the request in flight. */
    private static final class KeyState {
        String acknowledged;
        String inFlight;
        boolean pending;

        boolean allows(String actual) {
            return java.util.Objects.equals(actual, acknowledged)
                    || pending && java.util.Objects.equals(withoutRevisions(actual), inFlight);
        }
    }

    @Test
    void everyAcknowledgedWriteSurvivesSigkill() throws Exception {
        int rounds = Integer.getInteger("kv.kill.rounds", 6);
        long seed = Long.getLong("kv.test.seed", System.nanoTime());
        System.out.printf("KillNineIT: %d rounds, seed %d (-Dkv.test.seed=%d)%n", rounds, seed, seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        DockerfileSpec spec = DockerfileSpec.read(Path.of("Dockerfile"));
        Path jar = Path.of(System.getProperty("kv.jar", "target/kv-store.jar"));
        Path output = Files.createDirectories(Path.of("target", "e2e")).resolve("kill-nine.log");
        Files.deleteIfExists(output);
        Map<String, KeyState> model = new HashMap<>();
        int acknowledged = 0;
        String fastStart = classDataSharing(spec, jar, output);

        for (int round = 1; round <= rounds; round++) {
            ServiceProcess service = ServiceProcess.start(spec, jar, dataDir, output, fastStart);
            try {
                service.awaitReady(Duration.ofSeconds(90));
                checkAndSettle(service, model, round);
                acknowledged += writeUntilKilled(service, model, rnd.split(), 150 + rnd.nextInt(1200), null);
            } finally {
                service.close();
            }
        }
        try (ServiceProcess service = ServiceProcess.start(spec, jar, dataDir, output, fastStart)) {
            service.awaitReady(Duration.ofSeconds(90));
            checkAndSettle(service, model, rounds + 1);
            service.terminate(Duration.ofSeconds(30));
        }
        System.out.printf("KillNineIT: %d rounds, %d acknowledged writes checked%n", rounds, acknowledged);
        assertThat(acknowledged).isPositive();
    }

    @Test
    void everyAcknowledgedWriteSurvivesSigkillDuringCompaction() throws Exception {
        int rounds = Integer.getInteger("kv.kill.compaction.rounds", 4);
        long seed = Long.getLong("kv.test.seed", System.nanoTime());
        System.out.printf("KillNineIT (compaction): %d rounds, seed %d (-Dkv.test.seed=%d)%n", rounds, seed, seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        DockerfileSpec spec = DockerfileSpec.read(Path.of("Dockerfile"));
        Path jar = Path.of(System.getProperty("kv.jar", "target/kv-store.jar"));
        Path output = Files.createDirectories(Path.of("target", "e2e")).resolve("kill-nine-compaction.log");
        Files.deleteIfExists(output);
        preload(dataDir.resolve("kvstore.log"));
        Map<String, KeyState> model = new HashMap<>();
        int acknowledged = 0;
        int killedWhileCompacting = 0;
        String fastStart = classDataSharing(spec, jar, output);

        for (int round = 1; round <= rounds + 1; round++) {
            ServiceProcess service = ServiceProcess.start(spec, jar, dataDir, output, fastStart);
            try {
                service.awaitReady(Duration.ofSeconds(90));
                checkAndSettle(service, model, round);
                checkPreloaded(service, model, rnd, round);
                assertThat(dataDir.resolve("kvstore.log.compacting")).doesNotExist();
                if (round > rounds) {
                    service.terminate(Duration.ofSeconds(30));
                    break;
                }
                Compactions compactions = new Compactions(service);
                acknowledged += writeUntilKilled(service, model, rnd.split(), 500 + rnd.nextInt(2500), compactions);
                assertThat(compactions.unexpected).as("a POST /admin/compaction answer").isZero();
                if (compactions.inFlightAtKill) {
                    killedWhileCompacting++;
                }
                System.out.printf("KillNineIT (compaction): round %d, %d compactions completed, killed %s%n", round,
                        compactions.completed, compactions.inFlightAtKill ? "during one" : "between two");
            } finally {
                service.close();
            }
        }
        System.out.printf("KillNineIT (compaction): %d rounds, %d killed during a compaction, %d acknowledged writes"
                + " checked%n", rounds, killedWhileCompacting, acknowledged);
        assertThat(acknowledged).isPositive();
        assertThat(killedWhileCompacting).as("rounds killed during a compaction").isGreaterThanOrEqualTo(rounds / 2);
    }

    /** Back-to-back {@code POST /admin/compaction} requests; records whether one was in flight at the kill. */
    private static final class Compactions implements Runnable {
        private final ServiceProcess service;
        volatile boolean inFlight;
        volatile boolean inFlightAtKill;
        volatile int completed;
        /** An answer other than 200 (done) or 409 (one was running), or 0. */
        volatile int unexpected;
        final AtomicBoolean killed = new AtomicBoolean();

        Compactions(ServiceProcess service) {
            this.service = service;
        }

        @Override
        public void run() {
            while (!killed.get()) {
                inFlight = true;
                try {
                    int status = service.post("/admin/compaction").statusCode();
                    if (status == 200) {
                        completed++;
                    } else if (status != 409) {
                        unexpected = status;
                    }
                } catch (IOException | InterruptedException e) {
                    return; // the service is gone
                }
                inFlight = false;
            }
        }

        void kill() {
            inFlightAtKill = inFlight;
            killed.set(true);
        }
    }

    /** A GET or PUT answer without its revisions, to compare with the body of a request whose answer was lost. */
    static String withoutRevisions(String body) {
        return body == null ? null : body.replaceFirst(",\"revision\":\\d+,\"createRevision\":\\d+}$", "}");
    }

    /** The value of preloaded key {@code i}. */
    private static String preloadedValue(int i) {
        return "p" + i + "-" + "x".repeat(80);
    }

    /**
     * Writes a log in the seed format with an encoder of its own: every preloaded key set to an old value, then to
     * its final one.
     */
    private static void preload(Path log) throws IOException {
        Files.createDirectories(log.getParent());
        try (java.io.OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(log), 1 << 20)) {
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < PRELOADED; i++) {
                    out.write(setFrame("pre/" + i, pass == 0 ? "old" : preloadedValue(i)));
                }
            }
        }
    }

    private static byte[] setFrame(String key, String value) {
        byte[] k = key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] v = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(20 + k.length + v.length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(16 + k.length + v.length).put((byte) 0xAA).put((byte) 1).put((byte) 1).put((byte) 0)
                .putInt(k.length).putInt(v.length).put(k).put(v);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b.array(), 4, 12 + k.length + v.length);
        return b.putInt((int) crc.getValue()).array();
    }

    /** 300 random preloaded keys hold their final value, and the store holds exactly the keys it should. */
    private static void checkPreloaded(ServiceProcess service, Map<String, KeyState> model, SplittableRandom rnd,
                                       int round) throws IOException, InterruptedException {
        for (int n = 0; n < 300; n++) {
            int i = rnd.nextInt(PRELOADED);
            HttpResponse<String> r = service.get("/keys/pre/" + i);
            assertThat(r.body()).as("preloaded key %d after restart %d", i, round)
                    .isEqualTo("{\"key\":\"pre/" + i + "\",\"type\":\"string\",\"value\":\"" + preloadedValue(i)
                            // Seed frames take revisions in log order: the first pass sets key i at i + 1, the
                            // second at PRELOADED + i + 1. Compactions must keep them.
                            + "\",\"revision\":" + (PRELOADED + i + 1) + ",\"createRevision\":" + (i + 1) + "}");
        }
        long written = model.values().stream().filter(s -> s.acknowledged != null).count();
        String health = service.get("/actuator/health").body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"liveKeys\":(\\d+)").matcher(health);
        assertThat(m.find()).as("liveKeys in %s", health).isTrue();
        assertThat(Long.parseLong(m.group(1))).as("live keys after restart %d", round).isEqualTo(PRELOADED + written);
    }

    /**
     * JVM options that make the many restarts quick: a class-data-sharing archive, written by one clean run first,
     * and the C1 compiler only. They change how fast the JVM starts, not what the service does.
     */
    private static String classDataSharing(DockerfileSpec spec, Path jar, Path output) throws Exception {
        // Named after the jar it was made from: an archive of another build would not load.
        Path archive = Path.of("target", "e2e", "kill-nine-" + Long.toHexString(
                Files.size(jar) ^ Files.getLastModifiedTime(jar).toMillis()) + ".jsa").toAbsolutePath();
        if (!Files.exists(archive)) {
            Path scratch = Files.createTempDirectory("kv-cds");
            try (ServiceProcess warmUp = ServiceProcess.start(spec, jar, scratch, output,
                    "-XX:ArchiveClassesAtExit=" + archive)) {
                warmUp.awaitReady(Duration.ofSeconds(90));
                warmUp.put("/keys/warm-up", "{\"type\":\"integer\",\"value\":1}");
                warmUp.get("/keys/warm-up");
                warmUp.terminate(Duration.ofSeconds(60));
            }
        }
        return "-XX:SharedArchiveFile=" + archive + " -XX:TieredStopAtLevel=1";
    }

    /** Each key holds an allowed value; from now on, what it holds is what was acknowledged. */
    private static void checkAndSettle(ServiceProcess service, Map<String, KeyState> model, int round)
            throws IOException, InterruptedException {
        for (Map.Entry<String, KeyState> e : model.entrySet()) {
            HttpResponse<String> r = service.get("/keys/" + e.getKey());
            String actual = r.statusCode() == 404 ? null : r.body();
            assertThat(r.statusCode()).as("GET %s after restart %d", e.getKey(), round).isIn(200, 404);
            KeyState s = e.getValue();
            assertThat(s.allows(actual)).as("after restart %d, %s holds %s; acknowledged %s, in flight %s",
                    round, e.getKey(), actual, s.acknowledged, s.pending ? s.inFlight : "nothing").isTrue();
            s.acknowledged = actual;
            s.pending = false;
        }
    }

    /**
     * Runs the writers (and the compactions, if any), kills the service with SIGKILL after {@code millis}; returns the
     * writes acknowledged.
     */
    private static int writeUntilKilled(ServiceProcess service, Map<String, KeyState> model, SplittableRandom rnd,
                                        long millis, Compactions compactions) throws InterruptedException {
        AtomicBoolean killed = new AtomicBoolean();
        int[] acks = new int[WRITERS];
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int id = w;
            SplittableRandom r = rnd.split();
            List<String> keys = new ArrayList<>();
            for (int k = 0; k < KEYS_PER_WRITER; k++) {
                String key = "w" + id + "/k" + k;
                keys.add(key);
                model.computeIfAbsent(key, x -> new KeyState());
            }
            writers.add(new Thread(() -> {
                while (!killed.get()) {
                    String key = keys.get(r.nextInt(keys.size()));
                    KeyState s = model.get(key);
                    String typed = r.nextInt(5) == 0 ? null : typedValue(r);
                    String body = typed == null ? null : "{\"key\":\"" + key + "\"," + typed + "}";
                    s.inFlight = body;
                    s.pending = true;
                    try {
                        HttpResponse<String> response = typed == null ? service.delete("/keys/" + key)
                                : service.put("/keys/" + key, "{" + typed + "}");
                        int status = response.statusCode();
                        if (status == 200 || status == 201 || status == 204 || status == 404 && body == null) {
                            // The PUT's answer, revisions included: a restart must give back exactly that.
                            s.acknowledged = body == null ? null : response.body();
                            s.pending = false;
                            acks[id]++;
                        }
                    } catch (IOException | InterruptedException e) {
                        return; // the service is gone; this request stays in flight
                    }
                }
            }));
        }
        if (compactions != null) {
            writers.add(new Thread(compactions));
        }
        writers.forEach(Thread::start);
        Thread.sleep(millis);
        killed.set(true);
        if (compactions != null) {
            compactions.kill();
        }
        service.kill();
        for (Thread t : writers) {
            t.join(30_000);
        }
        int sum = 0;
        for (int a : acks) {
            sum += a;
        }
        return sum;
    }

    /** The {@code "type"} and {@code "value"} members of a random typed value, as the service writes them. */
    private static String typedValue(SplittableRandom r) {
        return switch (r.nextInt(3)) {
            case 0 -> "\"type\":\"string\",\"value\":\"v" + Long.toHexString(r.nextLong()) + "\"";
            case 1 -> "\"type\":\"integer\",\"value\":" + r.nextLong();
            default -> "\"type\":\"float\",\"value\":" + (r.nextDouble() * Math.pow(10, r.nextInt(-5, 300)));
        };
    }
}
