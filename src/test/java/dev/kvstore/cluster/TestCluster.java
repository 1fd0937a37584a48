package dev.kvstore.cluster;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Real Ratis servers over gRPC on loopback, in this JVM, each with its own directory and a {@link FakeKvState}.
 * Waits poll a condition until a deadline; nothing sleeps to synchronise.
 */
final class TestCluster implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(30);

    private final Path root;
    private final UnaryOperator<ClusterConfig.Builder> tuning;
    private final List<ClusterMember> members = new ArrayList<>();
    private final Map<String, ClusterNode> nodes = new ConcurrentSkipListMap<>();
    private final Map<String, FakeKvState> states = new ConcurrentSkipListMap<>();

    TestCluster(Path root, int size, UnaryOperator<ClusterConfig.Builder> tuning) {
        RatisLogging.quiet();
        this.root = root;
        this.tuning = tuning;
        for (int i = 1; i <= size; i++) {
            members.add(newMember("n" + i));
        }
    }

    static ClusterMember newMember(String id) {
        return new ClusterMember(id, "127.0.0.1:" + freePort());
    }

    List<ClusterMember> members() {
        return List.copyOf(members);
    }

    TestCluster startAll() {
        members.forEach(m -> start(m.id()));
        return this;
    }

    ClusterNode start(String id) {
        return start(id, new FakeKvState(), false);
    }

    /** Starts a node; {@code join}: a new member that waits for the leader to add it. */
    ClusterNode start(String id, FakeKvState state, boolean join) {
        if (members.stream().noneMatch(m -> m.id().equals(id))) {
            members.add(newMember(id));
        }
        final ClusterConfig config = tuning.apply(ClusterConfig.builder(id, members, dir(id)).join(join)).build();
        try {
            final ClusterNode node = ClusterNode.start(config, state);
            nodes.put(id, node);
            states.put(id, state);
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void stop(String id) {
        final ClusterNode node = nodes.remove(id);
        if (node != null) {
            node.close();
        }
        states.remove(id);
    }

    ClusterNode restart(String id) {
        stop(id);
        return start(id);
    }

    /** Stops the node and deletes its whole data directory. */
    void wipe(String id) throws IOException {
        stop(id);
        final Path dir = dir(id);
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    Path dir(String id) {
        return root.resolve(id);
    }

    ClusterNode node(String id) {
        return Objects.requireNonNull(nodes.get(id), id + " is not running");
    }

    /** The node if it is running, else null. */
    ClusterNode nodeOrNull(String id) {
        return nodes.get(id);
    }

    FakeKvState state(String id) {
        return Objects.requireNonNull(states.get(id), id + " is not running");
    }

    List<String> running() {
        return List.copyOf(nodes.keySet());
    }

    /** Waits until every running node names the same leader, which calls itself leader; returns its id. */
    String awaitLeader() {
        final String[] leader = new String[1];
        await("a leader all running nodes agree on").atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
            final List<ClusterStatus> statuses = nodes.values().stream().map(ClusterNode::status).toList();
            final String first = statuses.get(0).leaderId();
            if (first == null || !nodes.containsKey(first) || statuses.stream().anyMatch(
                    s -> !first.equals(s.leaderId()))) {
                return false;
            }
            leader[0] = first;
            return nodes.get(first).status().members().stream()
                    .anyMatch(m -> m.id().equals(first) && m.role() == ClusterStatus.Role.LEADER);
        });
        return leader[0];
    }

    List<String> followers(String leader) {
        return running().stream().filter(id -> !id.equals(leader)).toList();
    }

    /**
     * Waits until every running node's state has applied the same position and Raft applied what it committed,
     * then returns the digest they share.
     */
    String awaitConverged() {
        await("all running replicas at the same applied position").atMost(WAIT).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    final List<LogPosition> applied = states.values().stream().map(FakeKvState::lastApplied)
                            .distinct().toList();
                    final long commit = nodes.values().stream().mapToLong(n -> n.status().commitIndex()).max()
                            .orElseThrow();
                    return applied.size() == 1 && nodes.values().stream()
                            .allMatch(n -> n.status().appliedIndex() == commit);
                });
        final List<String> digests = states.values().stream().map(FakeKvState::digest).distinct().toList();
        if (digests.size() != 1) {
            throw new AssertionError("replicas at the same applied position differ: " + digestsById());
        }
        return digests.get(0);
    }

    Map<String, String> digestsById() {
        final Map<String, String> byId = new LinkedHashMap<>();
        states.forEach((id, s) -> byId.put(id, s.lastApplied() + " " + s.digest()));
        return byId;
    }

    @Override
    public void close() {
        stopAll();
    }

    /** Stops every node at once: closing a Ratis server takes up to a second (its log worker polls for 1 s). */
    void stopAll() {
        stopAllBut(null);
    }

    /** Stops every node but {@code keep}, at once. */
    void stopAllBut(String keep) {
        final List<Thread> closing = new ArrayList<>();
        for (String id : List.copyOf(nodes.keySet())) {
            if (id.equals(keep)) {
                continue;
            }
            final Thread t = new Thread(() -> stop(id), "close-" + id);
            t.start();
            closing.add(t);
        }
        for (Thread t : closing) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
