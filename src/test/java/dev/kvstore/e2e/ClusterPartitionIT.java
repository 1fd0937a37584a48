package dev.kvstore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Three packaged-jar nodes, each in a network namespace of its own on one bridge (as containers on one network), with
 * a token, reached from the host as remote clients. The leader is cut off from the other two; it stays reachable
 * from the client. While cut off it acknowledges no write and serves no linearizable read (503, not a stale
 * success), and reports itself not ready; the other two elect a leader and take writes; a stale read on the old
 * leader shows the old value it would otherwise have served. Once healed, it follows the new leader, and none of the
 * writes it refused was ever applied.
 */
class ClusterPartitionIT {

    private static final String TOKEN = "partition-test-token-0123456789abcdef";
    private static final List<String> IDS = List.of("n1", "n2", "n3");
    private static final Duration REQUEST = Duration.ofSeconds(15);
    /** The nodes' operation timeout plus one request timeout: a refused request is answered within it. */
    private static final Duration BOUND = Duration.ofSeconds(3 + 1);

    @Test
    void aLeaderCutOffFromTheMajorityNeitherAcknowledgesWritesNorServesLinearizableReads(@TempDir Path dir)
            throws Exception {
        Map<String, String> env = Map.of("KV_SECURITY_TOKENS_0_NAME", "test", "KV_SECURITY_TOKENS_0_ROLE", "admin",
                "KV_SECURITY_TOKENS_0_TOKEN", TOKEN, "KV_CLUSTER_OPERATION_TIMEOUT", "3s",
                "KV_CLUSTER_REQUEST_TIMEOUT", "1s");
        try (ClusterNetwork net = ClusterNetwork.createOrSkip(IDS.size());
             JarCluster cluster = new JarCluster(dir, env, TOKEN)) {
            for (int i = 0; i < IDS.size(); i++) {
                cluster.add(new JarCluster.Member(IDS.get(i), net.address(i), 9090, 8080,
                        dir.resolve(IDS.get(i)), net.launcher(i)));
            }
            ExecutorService pool = Executors.newFixedThreadPool(7);
            try {
                for (String id : IDS) {
                    cluster.start(id, IDS, false);
                }
                for (String id : IDS) {
                    cluster.awaitReady(id, Duration.ofMinutes(2));
                }
                run(cluster, pool, net);
            } catch (AssertionError | Exception e) {
                System.out.println(cluster.logs());
                throw e;
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private void run(JarCluster cluster, ExecutorService pool, ClusterNetwork net) throws Exception {
        String leader = cluster.awaitLeader(Duration.ofSeconds(30));
        long oldTerm = cluster.status(leader).get("term").asLong();
        HttpResponse<String> before = put(cluster, leader, "k", "before");
        assertThat(before.statusCode()).as(before.body()).isIn(200, 201);
        long beforeRevision = revision(before);
        List<String> others = IDS.stream().filter(id -> !id.equals(leader)).toList();
        // Every node has it before the cut.
        for (String id : IDS) {
            awaitValue(cluster, id, "k", "before", Duration.ofSeconds(10));
        }

        int l = IDS.indexOf(leader);
        for (String other : others) {
            net.partition(l, IDS.indexOf(other));
        }
        long cutAt = System.nanoTime();
        System.out.println("cut " + leader + " off from " + others);

        // A client of the majority side writing through a follower from the cut on: failover as its users see it.
        Future<MajorityAck> majority = pool.submit(() -> firstMajorityAck(cluster, others.get(0), cutAt));
        // Writes and linearizable reads on the old leader, some at once, some after the others elected a leader.
        List<Future<Attempt>> early = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int n = i;
            early.add(pool.submit(() -> attempt(cluster, leader, "PUT", "/keys/lost-" + n, value("lost-" + n))));
            early.add(pool.submit(() -> attempt(cluster, leader, "GET", "/keys/k", null)));
        }
        String newLeader = awaitLeaderAmong(cluster, others, Duration.ofSeconds(30));
        long electedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt);
        HttpResponse<String> after = put(cluster, newLeader, "k", "after");
        assertThat(after.statusCode()).as(after.body()).isIn(200, 201);
        long afterRevision = revision(after);
        assertThat(afterRevision).isGreaterThan(beforeRevision);

        MajorityAck majorityAck = majority.get(60, TimeUnit.SECONDS);
        List<Attempt> attempts = new ArrayList<>();
        for (Future<Attempt> f : early) {
            attempts.add(f.get(REQUEST.toSeconds() + 5, TimeUnit.SECONDS));
        }
        // Now the majority has a newer value: the old leader must still not answer a linearizable read with its own.
        attempts.add(attempt(cluster, leader, "GET", "/keys/k", null));
        attempts.add(attempt(cluster, leader, "GET", "/keys?prefix=k", null));
        attempts.add(attempt(cluster, leader, "PUT", "/keys/lost-late", value("lost-late")));
        attempts.add(attempt(cluster, leader, "DELETE", "/keys/k", null));
        for (Attempt a : attempts) {
            assertThat(a.status()).as("%s on the cut-off leader: %s", a.what(), a.body()).isEqualTo(503);
            assertThat(a.body()).contains("urn:kv-store:problem:cluster-unavailable");
            assertThat(a.elapsed()).as(a.what()).isLessThanOrEqualTo(BOUND.plusSeconds(2));
        }
        HttpResponse<String> stale = cluster.send(leader, "GET", "/keys/k", null,
                Map.of("Read-Consistency", "stale"), REQUEST);
        assertThat(stale.statusCode()).isEqualTo(200);
        assertThat(JarCluster.JSON.readTree(stale.body()).get("value").asString())
                .as("what the cut-off leader holds, and would have served").isEqualTo("before");
        awaitNotReady(cluster, leader, Duration.ofSeconds(15));
        System.out.printf("partition: the others elected %s in %d ms; the first write sent to %s after the cut was"
                        + " acknowledged %d ms after it (%d before it refused with 503); the cut-off leader refused %d"
                        + " writes and linearizable reads with 503, in %s ms%n", newLeader, electedMs, others.get(0),
                majorityAck.millis(), majorityAck.refused(), attempts.size(),
                attempts.stream().map(a -> Long.toString(a.elapsed().toMillis())).toList());

        net.heal();
        cluster.awaitReady(leader, Duration.ofSeconds(60));
        awaitValue(cluster, leader, "k", "after", Duration.ofSeconds(30));
        JsonNode rejoined = cluster.status(leader);
        assertThat(rejoined.get("term").asLong()).isGreaterThan(oldTerm);
        assertThat(rejoined.get("leaderId").asString()).isNotEqualTo(leader);
        for (String id : IDS) {
            HttpResponse<String> k = cluster.send(id, "GET", "/keys/k", null, Map.of(), REQUEST);
            assertThat(k.statusCode()).isEqualTo(200);
            assertThat(revision(k)).as("k on %s: %s", id, k.body()).isEqualTo(afterRevision);
            assertThat(cluster.send(id, "GET", "/keys/" + majorityAck.key(), null, Map.of(), REQUEST).statusCode())
                    .as("%s, acknowledged on the majority side, on %s", majorityAck.key(), id).isEqualTo(200);
            for (String lost : List.of("lost-0", "lost-1", "lost-2", "lost-late")) {
                assertThat(cluster.send(id, "GET", "/keys/" + lost, null, Map.of(), REQUEST).statusCode())
                        .as("%s on %s: refused while cut off, never applied", lost, id).isEqualTo(404);
            }
        }
    }

    record Attempt(String what, int status, String body, Duration elapsed) {
    }

    /** The first write acknowledged on the majority side after the cut: its key, when, and how many 503s came first. */
    record MajorityAck(String key, long millis, int refused) {
    }

    /** Writes through {@code node} until one is acknowledged; a 503 (not committed in time) is tried again. */
    private static MajorityAck firstMajorityAck(JarCluster cluster, String node, long cutAt) throws Exception {
        long deadline = cutAt + TimeUnit.SECONDS.toNanos(60);
        for (int n = 0; ; n++) {
            String key = "majority-" + n;
            Attempt a = attempt(cluster, node, "PUT", "/keys/" + key, value(key));
            if (a.status() == 200 || a.status() == 201) {
                return new MajorityAck(key, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt), n);
            }
            assertThat(a.status()).as("%s on %s: %s", a.what(), node, a.body()).isEqualTo(503);
            assertThat(System.nanoTime()).as("a write acknowledged on the majority side").isLessThan(deadline);
        }
    }

    private static Attempt attempt(JarCluster cluster, String id, String method, String path, String body)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        HttpResponse<String> r = cluster.send(id, method, path, body, Map.of(), REQUEST);
        return new Attempt(method + " " + path, r.statusCode(), r.body(), Duration.ofNanos(System.nanoTime() - t0));
    }

    private static String value(String v) {
        return "{\"type\":\"string\",\"value\":\"" + v + "\"}";
    }

    private static HttpResponse<String> put(JarCluster cluster, String id, String key, String v)
            throws IOException, InterruptedException {
        return cluster.send(id, "PUT", "/keys/" + key, value(v), Map.of(), REQUEST);
    }

    private static long revision(HttpResponse<String> r) {
        return JarCluster.JSON.readTree(r.body()).get("revision").asLong();
    }

    private static void awaitValue(JarCluster cluster, String id, String key, String expected, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            HttpResponse<String> r = cluster.send(id, "GET", "/keys/" + key, null, Map.of(), REQUEST);
            if (r.statusCode() == 200
                    && JarCluster.JSON.readTree(r.body()).get("value").asString().equals(expected)) {
                return;
            }
            assertThat(System.nanoTime()).as(id + " reads " + key + "=" + expected + " within " + timeout)
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** A leader that every one of {@code ids} names, which is one of them. */
    private static String awaitLeaderAmong(JarCluster cluster, List<String> ids, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            java.util.Set<String> named = new java.util.HashSet<>();
            for (String id : ids) {
                JsonNode s = cluster.status(id);
                named.add(s.get("leaderId").isNull() ? "" : s.get("leaderId").asString());
            }
            if (named.size() == 1 && ids.contains(named.iterator().next())) {
                return named.iterator().next();
            }
            assertThat(System.nanoTime()).as("a leader among " + ids + " within " + timeout).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static void awaitNotReady(JarCluster cluster, String id, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (cluster.send(id, "GET", "/actuator/health/readiness", null, Map.of(), REQUEST).statusCode() == 200) {
            assertThat(System.nanoTime()).as(id + " not ready within " + timeout).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
