package dev.kvstore.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A network namespace joined to this host by a veth pair: a client inside it reaches the host at {@link #hostAddress}
 * and is seen there as {@link #clientAddress}, a non-loopback address, as a pod or another machine would be. Made
 * with {@code ip} (root), removed by {@link #close()}, also when the test fails. Names and the /24 are derived from
 * this process's id, so that two test runs on one machine do not collide.
 */
final class NetworkNamespace implements AutoCloseable {

    final String name;
    final String hostAddress;
    final String clientAddress;
    private final String hostLink;

    private NetworkNamespace(String name, String hostLink, String hostAddress, String clientAddress) {
        this.name = name;
        this.hostLink = hostLink;
        this.hostAddress = hostAddress;
        this.clientAddress = clientAddress;
    }

    /**
     * Creates the namespace, or skips the test (with the reason printed) where namespaces cannot be made: not root,
     * or no {@code ip} command.
     */
    static NetworkNamespace createOrSkip() throws Exception {
        String why = unavailable();
        if (why != null) {
            System.out.println("SKIPPED: " + why);
            Assumptions.abort(why);
        }
        long pid = ProcessHandle.current().pid();
        int subnet = (int) (pid % 200) + 20;
        String id = Long.toString(pid % 1_000_000);
        NetworkNamespace ns = new NetworkNamespace("kvtest" + id, "kvh" + id,
                "10.231." + subnet + ".1", "10.231." + subnet + ".2");
        try {
            ns.setUp();
        } catch (Exception | AssertionError e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    private static String unavailable() throws InterruptedException {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "network namespaces need root; running as " + System.getProperty("user.name");
        }
        try {
            if (run(List.of("ip", "netns", "list")).exit != 0) {
                return "`ip netns list` fails here, so namespaces cannot be made";
            }
        } catch (IOException e) {
            return "no `ip` command (install iproute2): " + e.getMessage();
        }
        return null;
    }

    private void setUp() throws Exception {
        String peer = hostLink.replace("kvh", "kvn");
        check("ip", "netns", "add", name);
        check("ip", "link", "add", hostLink, "type", "veth", "peer", "name", peer);
        check("ip", "link", "set", peer, "netns", name);
        check("ip", "addr", "add", hostAddress + "/24", "dev", hostLink);
        check("ip", "link", "set", hostLink, "up");
        check("ip", "netns", "exec", name, "ip", "addr", "add", clientAddress + "/24", "dev", peer);
        check("ip", "netns", "exec", name, "ip", "link", "set", peer, "up");
        check("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
    }

    /** Runs a command inside the namespace. */
    Result exec(List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(command);
        return run(full);
    }

    @Override
    public void close() throws Exception {
        // Deleting the namespace deletes its end of the pair, and with it the host's end; both are tried anyway.
        run(List.of("ip", "link", "del", hostLink));
        run(List.of("ip", "netns", "del", name));
        Result left = run(List.of("ip", "netns", "list"));
        if (left.out.contains(name)) {
            throw new IllegalStateException("network namespace " + name + " was not removed: " + left.out);
        }
    }

    record Result(int exit, String out) {
    }

    private static void check(String... command) throws IOException, InterruptedException {
        Result r = run(List.of(command));
        if (r.exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + r.exit + "): " + r.out);
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
