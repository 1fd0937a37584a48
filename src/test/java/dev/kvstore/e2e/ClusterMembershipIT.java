package dev.kvstore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Membership through the admin API, on three packaged-jar nodes on loopback. A follower whose disk was lost is
 * removed, wiped, started to join and added again: with the log it needs purged into snapshots, it catches up from a
 * snapshot larger than one 16 MiB chunk. Then a dead member is replaced by a new one (added, then the dead one
 * removed), and the new group survives the loss of its leader.
 */
class ClusterMembershipIT {

    private static final List<String> IDS = List.of("n1", "n2", "n3");
    private static final Duration REQUEST = Duration.ofSeconds(15);
    private static final Duration MEMBERSHIP = Duration.ofMinutes(3);
    private static final int BIG_VALUES = 20;
    private static final int MIB = 1 << 20;

    @Test
    void aWipedFollowerRejoinsFromALargeSnapshotAndADeadMemberIsReplaced(@TempDir Path dir) throws Exception {
        try (JarCluster cluster = new JarCluster(dir, Map.of(), null)) {
            for (String id : IDS) {
                cluster.addLoopbackMember(id);
            }
            try {
                for (String id : IDS) {
                    cluster.start(id, IDS, false);
                }
                for (String id : IDS) {
                    cluster.awaitReady(id, Duration.ofMinutes(2));
                }
                run(cluster);
            } catch (AssertionError | Exception e) {
                System.out.println(cluster.logs());
                throw e;
            }
        }
    }

    /** {@code chars} letters and digits drawn from a generator seeded with {@code seed} (nothing to escape in JSON). */
    private static String incompressible(int chars, long seed) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder(chars);
        for (int i = 0; i < chars; i++) {
            sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    private void run(JarCluster cluster) throws Exception {
        String leader = cluster.awaitLeader(Duration.ofSeconds(30));
        List<String> followers = IDS.stream().filter(id -> !id.equals(leader)).toList();
        String wiped = followers.get(0);
        String dead = followers.get(1);

        // More state than one snapshot chunk (16 MiB), in values that LZ4 cannot shrink: the store keeps large
        // strings compressed, and a snapshot holds them as they are kept.
        for (int i = 0; i < BIG_VALUES; i++) {
            String v = incompressible(MIB, i);
            HttpResponse<String> r = cluster.send(leader, "PUT", "/keys/big/" + i, value(v), Map.of(), REQUEST);
            assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
        }
        for (int i = 0; i < 50; i++) {
            cluster.send(followers.get(i % 2), "PUT", "/keys/small/" + i, value("s" + i), Map.of(), REQUEST);
        }

        // 1. The follower's disk is lost: remove it, wipe it.
        JsonNode removed = ok(cluster.send(leader, "DELETE", "/admin/cluster/members/" + wiped, null, Map.of(),
                MEMBERSHIP));
        assertThat(ids(removed)).containsExactlyInAnyOrder(leader, dead);
        cluster.kill(wiped);
        deleteRecursively(cluster.member(wiped).dataDir());
        Files.createDirectories(cluster.member(wiped).dataDir());

        // Snapshots on the remaining members, so that the log the wiped one would need is purged.
        for (String id : List.of(leader, dead)) {
            ok(cluster.send(id, "POST", "/admin/compaction", null, Map.of(), REQUEST));
        }
        awaitPurged(cluster, leader, Duration.ofSeconds(60));

        // 2. It starts empty, waiting to be added; the leader sends it the snapshot.
        cluster.start(wiped, IDS, true);
        cluster.awaitLive(wiped, Duration.ofMinutes(2));
        long t0 = System.nanoTime();
        JsonNode added = ok(cluster.send(leader, "POST", "/admin/cluster/members",
                "{\"id\":\"" + wiped + "\",\"address\":\"" + cluster.member(wiped).address() + "\"}", Map.of(),
                MEMBERSHIP));
        long addMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ids(added)).containsExactlyInAnyOrder(leader, dead, wiped);
        cluster.awaitReady(wiped, Duration.ofMinutes(1));
        Path snapshot = cluster.newestSnapshot(wiped);
        assertThat(snapshot).as("the snapshot the wiped member installed").isNotNull();
        assertThat(Files.size(snapshot)).isGreaterThan(16L * MIB);
        awaitSameState(cluster, List.of(leader, dead, wiped));
        System.out.printf("membership: the wiped member %s rejoined from a snapshot of %.1f MiB, added in %d ms%n",
                wiped, Files.size(snapshot) / (double) MIB, addMs);

        // 3. A member dies for good: a new node replaces it.
        cluster.kill(dead);
        JarCluster.Member n4 = cluster.addLoopbackMember("n4");
        List<String> newPeers = List.of(leader, wiped, "n4");
        cluster.start("n4", newPeers, true);
        cluster.awaitLive("n4", Duration.ofMinutes(2));
        ok(cluster.send(wiped, "POST", "/admin/cluster/members",
                "{\"id\":\"n4\",\"address\":\"" + n4.address() + "\"}", Map.of(), MEMBERSHIP));
        JsonNode replaced = ok(cluster.send(wiped, "DELETE", "/admin/cluster/members/" + dead, null, Map.of(),
                MEMBERSHIP));
        assertThat(ids(replaced)).containsExactlyInAnyOrder(leader, wiped, "n4");
        cluster.awaitReady("n4", Duration.ofMinutes(1));
        awaitSameState(cluster, newPeers);

        // 4. The new group keeps a majority without its leader.
        String current = cluster.awaitLeader(Duration.ofSeconds(30));
        cluster.kill(current);
        List<String> left = newPeers.stream().filter(id -> !id.equals(current)).toList();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        HttpResponse<String> w;
        do {
            w = cluster.send(left.get(0), "PUT", "/keys/after-replacement", value("yes"), Map.of(), REQUEST);
        } while (w.statusCode() == 503 && System.nanoTime() < deadline);
        assertThat(w.statusCode()).as(w.body()).isIn(200, 201);
        HttpResponse<String> r = cluster.send(left.get(1), "GET", "/keys/after-replacement", null, Map.of(),
                REQUEST);
        assertThat(r.statusCode()).isEqualTo(200);
        HttpResponse<String> big = cluster.send(left.get(1), "GET", "/keys/big/7", null, Map.of(), REQUEST);
        assertThat(JarCluster.JSON.readTree(big.body()).get("value").asString()).isEqualTo(incompressible(MIB, 7));
    }

    private static String value(String v) {
        return "{\"type\":\"string\",\"value\":\"" + v + "\"}";
    }

    private static JsonNode ok(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JarCluster.JSON.readTree(r.body());
    }

    private static Set<String> ids(JsonNode cluster) {
        Set<String> ids = new java.util.TreeSet<>();
        for (JsonNode m : cluster.get("members")) {
            ids.add(m.get("id").asString());
        }
        return ids;
    }

    /** Waits until the node's Raft log no longer starts at its beginning. */
    private static void awaitPurged(JarCluster cluster, String id, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode health = JarCluster.JSON.readTree(cluster.send(id, "GET", "/actuator/health", null, Map.of(),
                    REQUEST).body());
            if (health.get("components").get("cluster").get("details").get("logStartIndex").asLong() > 0) {
                return;
            }
            assertThat(System.nanoTime()).as(id + " purged its log within " + timeout).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    /** Waits until the nodes are at one applied index, then compares their whole states. */
    private static void awaitSameState(JarCluster cluster, List<String> ids) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Set<Long> applied = new java.util.TreeSet<>();
            for (String id : ids) {
                applied.add(cluster.status(id).get("appliedIndex").asLong());
            }
            if (applied.size() == 1) {
                break;
            }
            assertThat(System.nanoTime()).as("one applied index on " + ids).isLessThan(deadline);
            Thread.sleep(100);
        }
        Map<String, String> first = ClusterIT.listing(cluster, ids.get(0), "");
        assertThat(first).hasSizeGreaterThanOrEqualTo(BIG_VALUES + 50);
        for (String id : ids.subList(1, ids.size())) {
            assertThat(ClusterIT.listing(cluster, id, "")).as(id).isEqualTo(first);
        }
    }

    private static void deleteRecursively(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
