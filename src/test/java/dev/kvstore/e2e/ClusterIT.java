package dev.kvstore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.cluster.linearizability.History;
import dev.kvstore.cluster.linearizability.LinearizabilityChecker;
import dev.kvstore.cluster.linearizability.Operation;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Three packaged-jar nodes on loopback; writers and clients on every node while the leader is killed with SIGKILL and
 * restarted, round after round ({@code -Dkv.cluster.rounds}, default 3 in the build; the goal run takes 20). Afterwards:
 * <ul>
 *   <li>every acknowledged write (each to a key of its own) is on every node, read from that node's own state, with
 *       the revision it was acknowledged with;</li>
 *   <li>at the same applied index, the nodes' states are equal: a digest of every key, value and revision, and their
 *       snapshots byte for byte;</li>
 *   <li>the history of reads, writes and compare-and-sets ({@code If-Match}) on three keys, recorded by clients on
 *       every node across the kills, is linearizable (a timed-out or 503 write counts as maybe applied);</li>
 * </ul>
 * Failover, from the leader's kill to the first acknowledged write sent after it, is printed (p50, p99, every sample).
 * Each round kills the leader of a whole group: the node killed in the round before is restarted and has caught up
 * with the leader (how long that took is printed too).
 * It is a latency figure, so the build does not pass or fail on it on a shared machine; the goal run checks issue 15's
 * goal (p99 within 3 s) with {@code -Dkv.cluster.rounds=20 -Dkv.cluster.failover-goal=3s}.
 * Randomized: the seed is printed, {@code -Dkv.test.seed=} replays the clients' choices (not the timing).
 */
class ClusterIT {

    private static final int ROUNDS = Integer.getInteger("kv.cluster.rounds", 3);
    private static final List<String> IDS = List.of("n1", "n2", "n3");
    private static final List<String> REGISTERS = List.of("x", "y", "z");
    /** Above a write's bound in the service: operation timeout plus one request timeout. */
    private static final Duration REQUEST = Duration.ofSeconds(15);
    /** Checked only when asked for: {@code -Dkv.cluster.failover-goal=3s}. */
    private static final String FAILOVER_GOAL = System.getProperty("kv.cluster.failover-goal");
    /** A pause between one client's requests: enough load to catch a lost write, CPU left for the restarts. */
    private static final long PACE_NANOS = TimeUnit.MILLISECONDS.toNanos(8);

    @Test
    void killingTheLeaderLosesNoAcknowledgedWriteKeepsReplicasEqualAndReadsLinearizable(@TempDir Path dir)
            throws Exception {
        long seed = Long.getLong("kv.test.seed", System.nanoTime());
        System.out.println("ClusterIT seed " + seed + " (replay with -Dkv.test.seed=" + seed + ")");
        long started = System.nanoTime();
        try (JarCluster cluster = new JarCluster(dir, Map.of(), null)) {
            for (String id : IDS) {
                cluster.addLoopbackMember(id);
            }
            for (String id : IDS) {
                cluster.start(id, IDS, false);
            }
            for (String id : IDS) {
                cluster.awaitReady(id, Duration.ofMinutes(2));
            }
            Workload work = new Workload(cluster, seed);
            work.start();
            try {
                work.awaitAcks(30, Duration.ofSeconds(60));
                List<Long> failovers = new ArrayList<>();
                for (int round = 1; round <= ROUNDS; round++) {
                    String leader = cluster.awaitLeader(Duration.ofSeconds(30));
                    String lags = lags(cluster, leader);
                    work.live.remove(leader);
                    Instant wallClock = Instant.now();
                    long killed = System.nanoTime();
                    cluster.kill(leader);
                    long acked = work.awaitAckInvokedAfter(killed, Duration.ofSeconds(30));
                    failovers.add(acked - killed);
                    long restarting = System.nanoTime();
                    cluster.start(leader, IDS, false);
                    cluster.awaitReady(leader, Duration.ofMinutes(2));
                    long ready = System.nanoTime();
                    work.live.add(leader);
                    awaitCaughtUp(cluster, Duration.ofSeconds(60));
                    System.out.printf("round %d: killed leader %s at %s (followers behind its commit index: %s), next"
                            + " write acknowledged after %d ms (acknowledged writes in flight at the kill answered"
                            + " within %d ms), restarted and ready in %d ms, caught up %d ms later; %d writes"
                            + " acknowledged so far%n", round, leader, wallClock, lags, ms(acked - killed),
                            ms(work.inFlightAt(killed)), ms(ready - restarting), ms(System.nanoTime() - ready),
                            work.acked.size());
                }
                work.awaitAcks(work.acked.size() + 30, Duration.ofSeconds(60));
                work.stop();
                assertThat(work.errors).as("unexpected answers").isEmpty();

                long applied = awaitQuiet(cluster, Duration.ofSeconds(60));
                int checked = checkAcknowledgedWrites(cluster, work.acked);
                String digest = checkEqualStates(cluster, applied);
                checkEqualSnapshots(cluster);
                List<Operation> ops = work.history.operations();
                LinearizabilityChecker.Report report = new LinearizabilityChecker().check(ops);

                List<Long> sorted = new ArrayList<>(failovers);
                Collections.sort(sorted);
                System.out.printf("ClusterIT: %d rounds; %d acknowledged writes checked on %d nodes (%d more with"
                                + " unknown outcome); states equal at applied index %d (digest %s); %d operations"
                                + " on %d keys (%d with unknown outcome): %s; failover p50 %d ms, p99 %d ms, max %d ms"
                                + " (all: %s); %d s in all%n", ROUNDS, work.acked.size(), IDS.size(), work.unknown.get(),
                        applied, digest.substring(0, 16), ops.size(), REGISTERS.size(),
                        ops.stream().filter(Operation::unknown).count(),
                        report.linearizable() ? "linearizable" : "NOT linearizable", ms(percentile(sorted, 50)),
                        ms(percentile(sorted, 99)), ms(sorted.get(sorted.size() - 1)),
                        sorted.stream().map(n -> Long.toString(ms(n))).toList(),
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
                assertThat(checked).isEqualTo(work.acked.size() * IDS.size());
                assertThat(report.linearizable()).as(report.explain()).isTrue();
                assertThat(ops.size()).isGreaterThan(300);
                if (FAILOVER_GOAL != null) {
                    assertThat(Duration.ofNanos(percentile(sorted, 99))).as("failover p99").isLessThanOrEqualTo(
                            Duration.parse("PT" + FAILOVER_GOAL.toUpperCase(java.util.Locale.ROOT)));
                }
            } catch (AssertionError | Exception e) {
                work.stop();
                System.out.println(cluster.logs());
                throw e;
            }
        }
    }

    /**
     * Waits until every follower has applied what the leader had committed when this began. A restarted node is
     * ready once it has applied its own log, and may still be catching up with the leader's: a kill then would leave
     * one up-to-date node, and the next leader could commit nothing until the other caught up. The next round kills
     * the leader of a whole group, as the issue's failover goal has it.
     */
    private static void awaitCaughtUp(JarCluster cluster, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String leader = cluster.awaitLeader(timeout);
        long commit = cluster.status(leader).get("commitIndex").asLong();
        for (String id : cluster.running()) {
            while (cluster.status(id).get("appliedIndex").asLong() < commit) {
                assertThat(System.nanoTime()).as(id + " caught up with the leader's commit index " + commit
                        + " within " + timeout).isLessThan(deadline);
                Thread.sleep(20);
            }
        }
    }

    /** How many entries each follower's applied index is behind the leader's commit index, e.g. "n2 0, n3 1234". */
    private static String lags(JarCluster cluster, String leader) throws Exception {
        long commit = cluster.status(leader).get("commitIndex").asLong();
        List<String> lags = new ArrayList<>();
        for (String id : cluster.running()) {
            if (!id.equals(leader)) {
                lags.add(id + " " + (commit - cluster.status(id).get("appliedIndex").asLong()));
            }
        }
        return String.join(", ", lags);
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /** Nearest-rank percentile of sorted values. */
    private static long percentile(List<Long> sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    /** Waits until every node has applied all it committed, and all at one index; returns it. */
    private static long awaitQuiet(JarCluster cluster, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Set<Long> applied = new java.util.TreeSet<>();
            boolean caughtUp = true;
            for (String id : cluster.running()) {
                JsonNode s = cluster.status(id);
                caughtUp &= s.get("commitIndex").asLong() == s.get("appliedIndex").asLong();
                applied.add(s.get("appliedIndex").asLong());
            }
            if (caughtUp && applied.size() == 1) {
                return applied.iterator().next();
            }
            assertThat(System.nanoTime()).as("all nodes at one applied index within " + timeout).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** Every key under {@code prefix} with its value and revision, from the node's own state (a stale read). */
    static Map<String, String> listing(JarCluster cluster, String id, String prefix) throws Exception {
        Map<String, String> out = new TreeMap<>();
        String cursor = null;
        do {
            String path = "/keys?limit=1000&prefix=" + URLEncoder.encode(prefix, StandardCharsets.UTF_8)
                    + (cursor == null ? "" : "&cursor=" + cursor);
            HttpResponse<String> r = cluster.send(id, "GET", path, null, Map.of("Read-Consistency", "stale"),
                    REQUEST);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode page = JarCluster.JSON.readTree(r.body());
            for (JsonNode item : page.get("items")) {
                out.put(item.get("key").asString(), item.get("type").asString() + ":" + item.get("value").asString()
                        + "@" + item.get("revision").asLong() + "/" + item.get("createRevision").asLong());
            }
            cursor = page.get("cursor").isNull() ? null : page.get("cursor").asString();
        } while (cursor != null);
        return out;
    }

    private static int checkAcknowledgedWrites(JarCluster cluster, Map<String, Workload.Acked> acked)
            throws Exception {
        int checked = 0;
        for (String id : cluster.running()) {
            Map<String, String> keys = listing(cluster, id, "w/");
            for (Map.Entry<String, Workload.Acked> e : acked.entrySet()) {
                assertThat(keys.get(e.getKey())).as("acknowledged write %s on %s", e.getKey(), id)
                        .isEqualTo("string:" + e.getValue().value() + "@" + e.getValue().revision() + "/"
                                + e.getValue().revision());
                checked++;
            }
        }
        return checked;
    }

    /** The whole state of each node, read at one applied index (unchanged before and after): equal on all. */
    private static String checkEqualStates(JarCluster cluster, long applied) throws Exception {
        Map<String, String> digests = new LinkedHashMap<>();
        for (String id : cluster.running()) {
            long before = cluster.status(id).get("appliedIndex").asLong();
            Map<String, String> state = listing(cluster, id, "");
            long after = cluster.status(id).get("appliedIndex").asLong();
            assertThat(before).as(id + " applied index during the listing").isEqualTo(after).isEqualTo(applied);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            state.forEach((k, v) -> sha.update((k + "=" + v + "\n").getBytes(StandardCharsets.UTF_8)));
            digests.put(id, HexFormat.of().formatHex(sha.digest()));
        }
        assertThat(Set.copyOf(digests.values())).as("state digests at applied index %d: %s", applied, digests)
                .hasSize(1);
        return digests.values().iterator().next();
    }

    /** Each node snapshots at the same applied index: the snapshot files are the same bytes. */
    private static void checkEqualSnapshots(JarCluster cluster) throws Exception {
        Map<String, Long> indexes = new LinkedHashMap<>();
        for (String id : cluster.running()) {
            HttpResponse<String> r = cluster.send(id, "POST", "/admin/compaction", null, Map.of(), REQUEST);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            indexes.put(id, JarCluster.JSON.readTree(r.body()).get("snapshotIndex").asLong());
        }
        assertThat(Set.copyOf(indexes.values())).as("snapshot indexes %s", indexes).hasSize(1);
        byte[] first = null;
        for (String id : cluster.running()) {
            Path file = cluster.newestSnapshot(id);
            assertThat(JarCluster.index(file)).isEqualTo(indexes.get(id));
            byte[] bytes = Files.readAllBytes(file);
            if (first == null) {
                first = bytes;
            } else {
                assertThat(bytes).as("the snapshot of %s", id).isEqualTo(first);
            }
        }
    }

    /**
     * Writers, each writing keys of its own ({@code w/<writer>/<n>}), and clients reading, writing and
     * compare-and-setting three shared keys, each request to a random node that is up.
     */
    static final class Workload {
        record Acked(String value, long revision) {
        }

        final Set<String> live = ConcurrentHashMap.newKeySet();
        final Map<String, Acked> acked = new ConcurrentHashMap<>();
        final AtomicInteger unknown = new AtomicInteger();
        final History history = new History();
        final List<String> errors = new CopyOnWriteArrayList<>();
        /** (invoked, acknowledged) of every acknowledged write of a writer, in nanoTime. */
        private final List<long[]> ackTimes = new CopyOnWriteArrayList<>();
        private final JarCluster cluster;
        private final long seed;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<Thread> threads = new ArrayList<>();

        Workload(JarCluster cluster, long seed) {
            this.cluster = cluster;
            this.seed = seed;
            live.addAll(cluster.running());
        }

        void start() {
            for (int i = 0; i < 4; i++) {
                int n = i;
                threads.add(started(new Thread(() -> writer(n, new Random(seed + n)), "writer-" + i)));
            }
            for (int i = 0; i < 3; i++) {
                int n = i;
                threads.add(started(new Thread(() -> client("c" + n, new Random(seed + 100 + n)), "client-" + i)));
            }
        }

        private static Thread started(Thread t) {
            t.setDaemon(true);
            t.start();
            return t;
        }

        void stop() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join(REQUEST.toMillis() * 2);
            }
        }

        void awaitAcks(int count, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (acked.size() < count) {
                assertThat(System.nanoTime()).as(count + " writes acknowledged within " + timeout)
                        .isLessThan(deadline);
                Thread.sleep(20);
            }
        }

        /** The time the first write sent after {@code since} was acknowledged. */
        long awaitAckInvokedAfter(long since, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                long first = Long.MAX_VALUE;
                for (long[] t : ackTimes) {
                    if (t[0] > since) {
                        first = Math.min(first, t[1]);
                    }
                }
                if (first != Long.MAX_VALUE) {
                    return first;
                }
                assertThat(System.nanoTime()).as("a write acknowledged within " + timeout + " of the kill")
                        .isLessThan(deadline);
                Thread.sleep(5);
            }
        }

        /** The longest a writer's write sent before {@code killed} and acknowledged after it waited past it. */
        long inFlightAt(long killed) {
            long longest = 0;
            for (long[] t : ackTimes) {
                if (t[0] < killed && t[1] > killed) {
                    longest = Math.max(longest, t[1] - killed);
                }
            }
            return longest;
        }

        private String pick(Random random) {
            List<String> up = new ArrayList<>(live);
            Collections.sort(up);
            return up.isEmpty() ? null : up.get(random.nextInt(up.size()));
        }

        private void writer(int n, Random random) {
            int seq = 0;
            while (!stop.get()) {
                String node = pick(random);
                if (node == null) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                    continue;
                }
                String key = "w/" + n + "/" + seq;
                String value = "v" + n + "-" + seq;
                long invoked = System.nanoTime();
                try {
                    HttpResponse<String> r = cluster.send(node, "PUT", "/keys/" + key, string(value), Map.of(),
                            REQUEST);
                    long answered = System.nanoTime();
                    if (r.statusCode() == 200 || r.statusCode() == 201) {
                        long revision = JarCluster.JSON.readTree(r.body()).get("revision").asLong();
                        acked.put(key, new Acked(value, revision));
                        ackTimes.add(new long[] {invoked, answered});
                    } else if (r.statusCode() == 503) {
                        unknown.incrementAndGet();
                    } else {
                        errors.add(node + " PUT " + key + ": " + r.statusCode() + " " + r.body());
                    }
                    seq++;
                } catch (IOException e) {
                    if (!JarCluster.neverSent(e)) {
                        unknown.incrementAndGet();
                        seq++;
                    }
                } catch (InterruptedException e) {
                    return;
                }
                LockSupport.parkNanos(PACE_NANOS);
            }
        }

        private void client(String name, Random random) {
            Map<String, String[]> lastSeen = new ConcurrentHashMap<>(); // key -> {value or null, revision}
            int seq = 0;
            while (!stop.get()) {
                String node = pick(random);
                if (node == null) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                    continue;
                }
                String key = REGISTERS.get(random.nextInt(REGISTERS.size()));
                int op = random.nextInt(3);
                try {
                    if (op == 1) {
                        write(node, name, key, name + "-" + seq++);
                    } else if (op == 2 && lastSeen.containsKey(key)) {
                        compareAndSet(node, name, key, lastSeen.get(key), name + "-" + seq++);
                    } else {
                        read(node, name, key, lastSeen);
                    }
                } catch (InterruptedException e) {
                    return;
                }
                LockSupport.parkNanos(PACE_NANOS);
            }
        }

        private void read(String node, String name, String key, Map<String, String[]> lastSeen)
                throws InterruptedException {
            History.Pending p = history.read(name, key);
            try {
                HttpResponse<String> r = cluster.send(node, "GET", "/keys/" + key, null, Map.of(), REQUEST);
                if (r.statusCode() == 200) {
                    JsonNode e = JarCluster.JSON.readTree(r.body());
                    String value = e.get("value").asString();
                    p.readOk(value);
                    lastSeen.put(key, new String[] {value, Long.toString(e.get("revision").asLong())});
                } else if (r.statusCode() == 404) {
                    p.readOk(null);
                    lastSeen.put(key, new String[] {null, null});
                } else if (r.statusCode() == 503) {
                    p.unknown();
                } else {
                    p.unknown();
                    errors.add(node + " GET " + key + ": " + r.statusCode() + " " + r.body());
                }
            } catch (IOException e) {
                if (JarCluster.neverSent(e)) {
                    p.notApplied();
                } else {
                    p.unknown();
                }
            }
        }

        private void write(String node, String name, String key, String value) throws InterruptedException {
            History.Pending p = history.write(name, key, value);
            try {
                HttpResponse<String> r = cluster.send(node, "PUT", "/keys/" + key, string(value), Map.of(), REQUEST);
                if (r.statusCode() == 200 || r.statusCode() == 201) {
                    p.writeOk();
                } else {
                    p.unknown();
                    if (r.statusCode() != 503) {
                        errors.add(node + " PUT " + key + ": " + r.statusCode() + " " + r.body());
                    }
                }
            } catch (IOException e) {
                if (JarCluster.neverSent(e)) {
                    p.notApplied();
                } else {
                    p.unknown();
                }
            }
        }

        /** If-Match the revision last read (or If-None-Match: * when the key was absent): a CAS on the value. */
        private void compareAndSet(String node, String name, String key, String[] seen, String value)
                throws InterruptedException {
            History.Pending p = history.compareAndSet(name, key, seen[0], value);
            Map<String, String> condition = seen[0] == null ? Map.of("If-None-Match", "*")
                    : Map.of("If-Match", "\"" + seen[1] + "\"");
            try {
                HttpResponse<String> r = cluster.send(node, "PUT", "/keys/" + key, string(value), condition, REQUEST);
                if (r.statusCode() == 200 || r.statusCode() == 201) {
                    p.casOk(true);
                } else if (r.statusCode() == 412) {
                    p.casOk(false);
                } else {
                    p.unknown();
                    if (r.statusCode() != 503) {
                        errors.add(node + " CAS " + key + ": " + r.statusCode() + " " + r.body());
                    }
                }
            } catch (IOException e) {
                if (JarCluster.neverSent(e)) {
                    p.notApplied();
                } else {
                    p.unknown();
                }
            }
        }

        private static String string(String value) {
            return "{\"type\":\"string\",\"value\":\"" + value + "\"}";
        }
    }
}
