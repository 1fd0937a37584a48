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
 * same data directory, round after round ({@code -Dkv.kill.rounds}, default 20). Each writer owns its keys and
 * does one request at a time, so after each restart every key must hold what its last acknowledged PUT or DELETE
 * left, or what the one request still in flight at the kill would have left. The restarts use a class-data-sharing
 * archive and the C1 compiler to start faster; {@link PackagedJarIT} checks the image's exact command.
 */
class KillNineIT {

    private static final int WRITERS = 8;
    private static final int KEYS_PER_WRITER = 5;

    @TempDir
    Path dataDir;

    /** What a key may hold after a restart: the last acknowledged body, or the body of the request in flight. */
    private static final class KeyState {
        String acknowledged;
        String inFlight;
        boolean pending;

        boolean allows(String actual) {
            return java.util.Objects.equals(actual, acknowledged) || pending && java.util.Objects.equals(actual, inFlight);
        }
    }

    @Test
    void everyAcknowledgedWriteSurvivesSigkill() throws Exception {
        int rounds = Integer.getInteger("kv.kill.rounds", 20);
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
                acknowledged += writeUntilKilled(service, model, rnd.split(), 150 + rnd.nextInt(1200));
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

    /**
     * JVM options that make the many restarts quick: a class-data-sharing archive, written by one clean run first,
     * and the C1 compiler only. They change how fast the JVM starts, not what the service does.
     */
    private static String classDataSharing(DockerfileSpec spec, Path jar, Path output) throws Exception {
        Path archive = Path.of("target", "e2e", "kill-nine.jsa").toAbsolutePath();
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

    /** Runs the writers, kills the service with SIGKILL after {@code millis}; returns the writes acknowledged. */
    private static int writeUntilKilled(ServiceProcess service, Map<String, KeyState> model, SplittableRandom rnd,
                                        long millis) throws InterruptedException {
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
                        int status = typed == null ? service.delete("/keys/" + key).statusCode()
                                : service.put("/keys/" + key, "{" + typed + "}").statusCode();
                        if (status == 200 || status == 201 || status == 204 || status == 404 && body == null) {
                            s.acknowledged = body;
                            s.pending = false;
                            acks[id]++;
                        }
                    } catch (IOException | InterruptedException e) {
                        return; // the service is gone; this request stays in flight
                    }
                }
            }));
        }
        writers.forEach(Thread::start);
        Thread.sleep(millis);
        killed.set(true);
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
