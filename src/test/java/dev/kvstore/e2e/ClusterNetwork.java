package dev.kvstore.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small network of machines on this host: a bridge with the host on it ({@link #hostAddress}) and one network
 * namespace per node, each joined to the bridge by a veth pair, with an address of its own ({@link #address}), as
 * containers or pods on one network would be. {@link #partition} cuts the traffic between two nodes in both
 * directions (a blackhole route on each side), while both stay reachable from the host; {@link #heal} restores it.
 * Made with {@code ip} (root); removed by {@link #close()}, also when the test fails. Names and the /24 are derived
 * from this process's id, so that two test runs on one machine do not collide.
 */
final class ClusterNetwork implements AutoCloseable {

    private final String id;
    private final String subnet;
    private final int nodes;
    private final List<String> cut = new ArrayList<>();

    private ClusterNetwork(String id, String subnet, int nodes) {
        this.id = id;
        this.subnet = subnet;
        this.nodes = nodes;
    }

    /** Creates the network, or skips the test (the reason printed) where namespaces cannot be made. */
    static ClusterNetwork createOrSkip(int nodes) throws Exception {
        String why = unavailable();
        if (why != null) {
            System.out.println("SKIPPED: " + why);
            Assumptions.abort(why);
        }
        long pid = ProcessHandle.current().pid();
        ClusterNetwork net = new ClusterNetwork(Long.toString(pid % 100_000), "10.232." + (pid % 200 + 20), nodes);
        try {
            net.setUp();
        } catch (Exception | AssertionError e) {
            net.close();
            throw e;
        }
        return net;
    }

    private static String unavailable() throws InterruptedException {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "network namespaces need root; running as " + System.getProperty("user.name");
        }
        try {
            if (run(List.of("ip", "netns", "list")).exit() != 0) {
                return "`ip netns list` fails here, so namespaces cannot be made";
            }
        } catch (IOException e) {
            return "no `ip` command (install iproute2): " + e.getMessage();
        }
        return null;
    }

    private String bridge() {
        return "kvb" + id;
    }

    /** The namespace of node {@code i} (0-based). */
    String namespace(int i) {
        return "kvc" + id + "n" + i;
    }

    /** The address of node {@code i}, on the bridge's /24. */
    String address(int i) {
        return subnet + "." + (10 + i);
    }

    String hostAddress() {
        return subnet + ".1";
    }

    /** How to run a command in node {@code i}'s namespace: {@code ip netns exec} execs it there. */
    List<String> launcher(int i) {
        return List.of("ip", "netns", "exec", namespace(i));
    }

    private void setUp() throws Exception {
        check("ip", "link", "add", bridge(), "type", "bridge");
        check("ip", "addr", "add", hostAddress() + "/24", "dev", bridge());
        check("ip", "link", "set", bridge(), "up");
        for (int i = 0; i < nodes; i++) {
            String ns = namespace(i);
            String hostEnd = "kvh" + id + "n" + i;
            String nsEnd = "kvp" + id + "n" + i;
            check("ip", "netns", "add", ns);
            check("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", nsEnd);
            check("ip", "link", "set", nsEnd, "netns", ns);
            check("ip", "link", "set", hostEnd, "master", bridge());
            check("ip", "link", "set", hostEnd, "up");
            check("ip", "netns", "exec", ns, "ip", "addr", "add", address(i) + "/24", "dev", nsEnd);
            check("ip", "netns", "exec", ns, "ip", "link", "set", nsEnd, "up");
            check("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
        }
    }

    /** Cuts node {@code a} off from node {@code b}, both ways; each still reaches and is reached by the host. */
    void partition(int a, int b) throws Exception {
        check("ip", "netns", "exec", namespace(a), "ip", "route", "add", "blackhole", address(b) + "/32");
        cut.add(a + ">" + b);
        check("ip", "netns", "exec", namespace(b), "ip", "route", "add", "blackhole", address(a) + "/32");
        cut.add(b + ">" + a);
    }

    /** Removes every cut. */
    void heal() throws Exception {
        for (String c : List.copyOf(cut)) {
            int from = Integer.parseInt(c.substring(0, c.indexOf('>')));
            int to = Integer.parseInt(c.substring(c.indexOf('>') + 1));
            check("ip", "netns", "exec", namespace(from), "ip", "route", "del", "blackhole", address(to) + "/32");
            cut.remove(c);
        }
    }

    @Override
    public void close() throws Exception {
        // Deleting a namespace deletes its end of the veth pair, and with it the host's end.
        for (int i = 0; i < nodes; i++) {
            run(List.of("ip", "netns", "del", namespace(i)));
        }
        run(List.of("ip", "link", "del", bridge()));
        Result left = run(List.of("ip", "netns", "list"));
        if (left.out().contains("kvc" + id + "n")) {
            throw new IllegalStateException("network namespaces kvc" + id + "n* were not removed: " + left.out());
        }
    }

    record Result(int exit, String out) {
    }

    private static void check(String... command) throws IOException, InterruptedException {
        Result r = run(List.of(command));
        if (r.exit() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + r.exit() + "): " + r.out());
        }
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish in 30 s");
        }
        return new Result(p.exitValue(), out);
    }
}
