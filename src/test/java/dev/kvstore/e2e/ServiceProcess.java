package dev.kvstore.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged jar running as a child process, started the way the Dockerfile starts it. */
final class ServiceProcess implements AutoCloseable {

    static final String IMAGE_JAR = "/app/kv-store.jar";

    private final Process process;
    private final Path output;
    final int port;
    final String healthPath;
    /** Where the service answers HTTP: localhost, or its address in a network namespace. */
    final String host;
    private String token;

    private ServiceProcess(Process process, Path output, int port, String healthPath) {
        this(process, output, port, healthPath, "localhost");
    }

    private ServiceProcess(Process process, Path output, int port, String healthPath, String host) {
        this.process = process;
        this.output = output;
        this.port = port;
        this.healthPath = healthPath;
        this.host = host;
    }

    /**
     * Starts the jar with the Dockerfile's ENTRYPOINT and ENV. Only two things differ from the container, as a
     * volume and a port mapping would make them: the data directory and the port.
     */
    static ServiceProcess start(DockerfileSpec spec, Path jar, Path dataDir, Path output) throws IOException {
        return start(spec, jar, dataDir, output, "");
    }

    /** As {@link #start(DockerfileSpec, Path, Path, Path)}, with JVM options added to the image's. */
    static ServiceProcess start(DockerfileSpec spec, Path jar, Path dataDir, Path output, String jvmOptions)
            throws IOException {
        return start(spec, jar, dataDir, output, jvmOptions, Map.of());
    }

    /** As above, with more environment variables (e.g. tokens). */
    static ServiceProcess start(DockerfileSpec spec, Path jar, Path dataDir, Path output, String jvmOptions,
                                Map<String, String> moreEnv) throws IOException {
        int port = freePort();
        List<String> command = new ArrayList<>();
        for (String arg : spec.entrypoint()) {
            // The image's AOT cache (-XX:SharedArchiveFile=/app/...) exists only in the image, and made by its Java 25.
            if (arg.startsWith("-XX:SharedArchiveFile=/app/")) {
                continue;
            }
            command.add(arg.equals(IMAGE_JAR) ? jar.toString() : arg);
        }
        if (!command.contains(jar.toString())) {
            throw new IllegalStateException("ENTRYPOINT does not run " + IMAGE_JAR + ": " + spec.entrypoint());
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        Map<String, String> env = pb.environment();
        env.putAll(spec.env());
        if (!jvmOptions.isEmpty()) {
            env.merge("JAVA_TOOL_OPTIONS", jvmOptions, (image, extra) -> image + " " + extra);
        }
        env.putAll(moreEnv);
        env.put("KV_DATA_DIR", dataDir.toString());
        env.put("SERVER_PORT", Integer.toString(port));
        return new ServiceProcess(pb.start(), output, port, spec.healthPath());
    }

    /**
     * As above, started through {@code launcher} (e.g. {@code ip netns exec <name>}, which execs the JVM in a network
     * namespace, so that the process id is the JVM's), answering HTTP at {@code host} on {@code port}.
     */
    static ServiceProcess start(DockerfileSpec spec, Path jar, Path dataDir, Path output, String jvmOptions,
                                Map<String, String> moreEnv, List<String> launcher, String host, int port)
            throws IOException {
        List<String> command = new ArrayList<>(launcher);
        for (String arg : spec.entrypoint()) {
            if (arg.startsWith("-XX:SharedArchiveFile=/app/")) {
                continue; // the image's AOT cache, as above
            }
            command.add(arg.equals(IMAGE_JAR) ? jar.toString() : arg);
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        Map<String, String> env = pb.environment();
        env.putAll(spec.env());
        if (!jvmOptions.isEmpty()) {
            env.merge("JAVA_TOOL_OPTIONS", jvmOptions, (image, extra) -> image + " " + extra);
        }
        env.putAll(moreEnv);
        env.put("KV_DATA_DIR", dataDir.toString());
        env.put("SERVER_PORT", Integer.toString(port));
        return new ServiceProcess(pb.start(), output, port, spec.healthPath(), host);
    }

    /** Waits until the Dockerfile's HEALTHCHECK URL answers 200. */
    void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the service exited with " + process.exitValue() + ":\n" + log());
            }
            try {
                if (get(healthPath).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("not ready after " + timeout + ":\n" + log());
    }

    /** Sends this bearer token with every later request. */
    ServiceProcess withToken(String bearer) {
        this.token = bearer;
        return this;
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(request(path).GET().build());
    }

    HttpResponse<String> put(String path, String json) throws IOException, InterruptedException {
        return send(request(path).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    HttpResponse<String> post(String path) throws IOException, InterruptedException {
        return send(request(path).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    HttpResponse<String> delete(String path) throws IOException, InterruptedException {
        return send(request(path).DELETE().build());
    }

    /** Sends {@code method} with a JSON body ({@code null}: none) and more headers, as name, value, .... */
    HttpResponse<String> send(String method, String path, String json, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = request(path).method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
        return token == null ? b : b.header("Authorization", "Bearer " + token);
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    URI uri(String path) {
        return URI.create("http://" + host + ":" + port + path);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Sends SIGTERM, as {@code docker stop} does, and waits for the process to exit. */
    int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("still running " + timeout + " after SIGTERM");
        }
        return process.exitValue();
    }

    /** Waits for the process to exit on its own (e.g. a refused start); returns its exit status. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("still running after " + timeout);
        }
        return process.exitValue();
    }

    /** The process id, which the service writes into the data directory's lock file. */
    long pid() {
        return process.pid();
    }

    /** Sends SIGKILL: no shutdown hook runs, nothing is flushed or forced. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    String log() throws IOException {
        return Files.readString(output);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
