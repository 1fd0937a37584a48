package dev.kvstore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Nodes of one Raft group, each the packaged jar in its own process and data directory, started as the Dockerfile
 * starts it with cluster mode's environment ({@code KV_CLUSTER_*}): on loopback, or each in a network namespace of a
 * {@link ClusterNetwork}. Nodes are started, killed (SIGKILL) and restarted on the same data directory and Raft
 * address; every request goes through one HTTP client with explicit timeouts.
 */
final class JarCluster implements AutoCloseable {

    /** A member: its id, Raft address and data directory, and how its process is launched. */
    record Member(String id, String host, int raftPort, int httpPort, Path dataDir, List<String> launcher) {
        String address() {
            return host + ":" + raftPort;
        }
    }

    static final JsonMapper JSON = JsonMapper.builder().build();
    /**
     * Small heaps, one GC thread (the image picks Parallel GC), C1, and a class-data-sharing archive: three JVMs and
     * the test share two cores, and nodes restart round after round. They change how fast a JVM starts, not what the
     * service does.
     */
    static final String JVM_OPTIONS = "-Xmx384m -XX:ParallelGCThreads=1 -XX:TieredStopAtLevel=1";

    private final Path dir;
    private final Path jar;
    private final DockerfileSpec spec;
    private final Map<String, String> env;
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final Map<String, ServiceProcess> running = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String token;
    private final String jvmOptions;

    /**
     * @param env environment of every node (timeouts, tokens), besides the cluster's own variables
     * @param token sent as a bearer token with every request, or null
     */
    JarCluster(Path dir, Map<String, String> env, String token) throws IOException {
        this.dir = dir;
        this.jar = Path.of(System.getProperty("kv.jar", "target/kv-store.jar"));
        assertThat(jar).as("the packaged jar (mvn package)").exists();
        this.spec = DockerfileSpec.read(Path.of("Dockerfile"));
        this.env = Map.copyOf(env);
        this.token = token;
        this.jvmOptions = JVM_OPTIONS + " -XX:SharedArchiveFile=" + classDataSharing(spec, jar, dir);
    }

    /**
     * The archive of the classes a node in cluster mode loads, written once per build of the jar by a group of one
     * that starts, takes a write and a read, and stops.
     */
    private static Path classDataSharing(DockerfileSpec spec, Path jar, Path dir) throws IOException {
        Path archive = Path.of("target", "e2e", "cluster-" + Long.toHexString(
                Files.size(jar) ^ Files.getLastModifiedTime(jar).toMillis()) + ".jsa").toAbsolutePath();
        if (Files.exists(archive)) {
            return archive;
        }
        Files.createDirectories(archive.getParent());
        Path scratch = Files.createDirectories(dir.resolve("cds"));
        Map<String, String> one = Map.of("KV_CLUSTER_ENABLED", "true", "KV_CLUSTER_NODE_ID", "cds",
                "KV_CLUSTER_PEERS", "cds=127.0.0.1:" + ServiceProcess.freePort());
        try (ServiceProcess warmUp = ServiceProcess.start(spec, jar, scratch, dir.resolve("cds.out"),
                JVM_OPTIONS + " -XX:ArchiveClassesAtExit=" + archive, one)) {
            warmUp.awaitReady(Duration.ofMinutes(2));
            warmUp.put("/keys/warm-up", "{\"type\":\"integer\",\"value\":1}");
            warmUp.get("/keys/warm-up");
            warmUp.terminate(Duration.ofSeconds(60));
        } catch (Exception e) {
            throw new IOException("could not write the class-data-sharing archive " + archive, e);
        }
        return archive;
    }

    /** Adds a member on loopback, with a free Raft port and a new data directory. */
    Member addLoopbackMember(String id) throws IOException {
        return add(new Member(id, "127.0.0.1", ServiceProcess.freePort(), 0, dir.resolve(id), List.of()));
    }

    Member add(Member m) throws IOException {
        Files.createDirectories(m.dataDir());
        members.put(m.id(), m);
        return m;
    }

    Member member(String id) {
        return members.get(id);
    }

    /** {@code n1=host:port,...} of the given members. */
    String peers(List<String> ids) {
        return ids.stream().map(id -> id + "=" + members.get(id).address()).collect(Collectors.joining(","));
    }

    /** Starts a member of the group made of {@code peers}; {@code join} for one added to a running group. */
    ServiceProcess start(String id, List<String> peers, boolean join) throws IOException {
        Member m = members.get(id);
        Map<String, String> nodeEnv = new LinkedHashMap<>(env);
        nodeEnv.put("KV_CLUSTER_ENABLED", "true");
        nodeEnv.put("KV_CLUSTER_NODE_ID", id);
        nodeEnv.put("KV_CLUSTER_PEERS", peers(peers));
        nodeEnv.put("KV_CLUSTER_JOIN", Boolean.toString(join));
        if (!nodeEnv.containsKey("KV_CLUSTER_TLS_CERTIFICATE")) {
            // These tests exercise Raft in plain text (on loopback, or in namespaces only they reach), where a member
            // off loopback must say so; ClusterTlsIT runs the jar with mutual TLS.
            nodeEnv.putIfAbsent("KV_CLUSTER_TLS_ENABLED", "false");
        }
        int port = m.httpPort() != 0 ? m.httpPort() : ServiceProcess.freePort();
        String host = m.launcher().isEmpty() ? "localhost" : m.host();
        ServiceProcess p = ServiceProcess.start(spec, jar, m.dataDir(), dir.resolve(id + ".out"), jvmOptions,
                nodeEnv, m.launcher(), host, port);
        if (token != null) {
            p.withToken(token);
        }
        running.put(id, p);
        return p;
    }

    /** SIGKILL: nothing is flushed, forced or closed. */
    void kill(String id) throws InterruptedException {
        ServiceProcess p = running.remove(id);
        if (p != null) {
            p.kill();
        }
    }

    Set<String> running() {
        return new TreeSet<>(running.keySet());
    }

    ServiceProcess node(String id) {
        return running.get(id);
    }

    /** Waits until the node's readiness probe answers 200: it knows a leader and has applied what it had. */
    void awaitReady(String id, Duration timeout) throws Exception {
        running.get(id).awaitReady(timeout);
    }

    /** Waits until the node answers at all (liveness), as a node waiting to be added does. */
    void awaitLive(String id, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            ServiceProcess p = running.get(id);
            assertThat(p.isAlive()).as(id + " exited:\n" + p.log()).isTrue();
            try {
                if (send(id, "GET", "/actuator/health/liveness", null, Map.of(), Duration.ofSeconds(2))
                        .statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            assertThat(System.nanoTime()).as(id + " live within " + timeout).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** {@code GET /cluster} of one node. */
    JsonNode status(String id) throws IOException, InterruptedException {
        HttpResponse<String> r = send(id, "GET", "/cluster", null, Map.of(), Duration.ofSeconds(5));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /**
     * The leader every running node agrees on, once the leader itself says so; polls until {@code timeout}.
     */
    String awaitLeader(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String agreed = agreedLeader();
            if (agreed != null) {
                return agreed;
            }
            assertThat(System.nanoTime()).as("one leader within " + timeout).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private String agreedLeader() throws InterruptedException {
        Set<String> seen = new TreeSet<>();
        for (String id : running()) {
            try {
                JsonNode s = status(id);
                seen.add(s.get("leaderId").isNull() ? "" : s.get("leaderId").asString());
            } catch (IOException | AssertionError e) {
                return null;
            }
        }
        if (seen.size() != 1 || seen.contains("") || !running.containsKey(seen.iterator().next())) {
            return null;
        }
        return seen.iterator().next();
    }

    /** Sends a request with a timeout; {@code body} null for none. Throws what the HTTP client throws. */
    HttpResponse<String> send(String id, String method, String path, String body, Map<String, String> headers,
                              Duration timeout) throws IOException, InterruptedException {
        ServiceProcess p = running.get(id);
        if (p == null) {
            throw new ConnectException(id + " is not running");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(p.uri(path)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Whether a request that failed with {@code e} certainly never reached the service. */
    static boolean neverSent(IOException e) {
        return e instanceof ConnectException || e instanceof HttpConnectTimeoutException
                || e.getCause() instanceof ConnectException;
    }

    /** The newest snapshot file of a member's Raft storage ({@code raft/<group>/sm}), or null. */
    Path newestSnapshot(String id) throws IOException {
        Path raft = members.get(id).dataDir().resolve("raft");
        if (!Files.isDirectory(raft)) {
            return null;
        }
        Path newest = null;
        try (Stream<Path> groups = Files.list(raft)) {
            for (Path sm : groups.map(g -> g.resolve("sm")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> files = Files.list(sm)) {
                    for (Path f : files.filter(f -> f.getFileName().toString().matches("snapshot\\.\\d+_\\d+"))
                            .toList()) {
                        if (newest == null || index(f) > index(newest)) {
                            newest = f;
                        }
                    }
                }
            }
        }
        return newest;
    }

    static long index(Path snapshot) {
        String name = snapshot.getFileName().toString();
        return Long.parseLong(name.substring(name.indexOf('_') + 1));
    }

    String logs() {
        StringBuilder sb = new StringBuilder();
        for (String id : members.keySet()) {
            try {
                String log = Files.readString(dir.resolve(id + ".out"));
                sb.append("---- ").append(id).append(" (last 4000 chars) ----\n")
                        .append(log.substring(Math.max(0, log.length() - 4000)));
            } catch (IOException e) {
                sb.append("---- ").append(id).append(": no log\n");
            }
        }
        return sb.toString();
    }

    /** Kills every node still running, at once. */
    @Override
    public void close() throws InterruptedException {
        List<ServiceProcess> all = new ArrayList<>(running.values());
        running.clear();
        for (ServiceProcess p : all) {
            p.close();
        }
    }
}
