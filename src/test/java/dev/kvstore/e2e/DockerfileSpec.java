package dev.kvstore.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the Dockerfile's runtime stage runs: its ENTRYPOINT, its ENV and the URL of its HEALTHCHECK. End-to-end
 * tests start the packaged jar with exactly these, so the image's command is tested without a container engine.
 */
record DockerfileSpec(List<String> entrypoint, Map<String, String> env, String healthPath, int port,
                      boolean healthFollowsServerPort) {

    static DockerfileSpec read(Path dockerfile) throws IOException {
        List<String> instructions = instructions(Files.readAllLines(dockerfile));
        int lastFrom = 0;
        for (int i = 0; i < instructions.size(); i++) {
            if (instructions.get(i).startsWith("FROM ")) {
                lastFrom = i;
            }
        }
        List<String> entrypoint = null;
        Map<String, String> env = new LinkedHashMap<>();
        String health = null;
        for (String ins : instructions.subList(lastFrom, instructions.size())) {
            if (ins.startsWith("ENV ")) {
                parseEnv(ins.substring(4), env);
            } else if (ins.startsWith("ENTRYPOINT ")) {
                entrypoint = List.of(JsonMapper.builder().build().readValue(ins.substring(11), String[].class));
            } else if (ins.startsWith("HEALTHCHECK ")) {
                health = ins;
            }
        }
        if (entrypoint == null || health == null) {
            throw new IllegalStateException("the Dockerfile's last stage needs ENTRYPOINT and HEALTHCHECK");
        }
        // The port is literal or ${SERVER_PORT:-8080}, so that the probe follows a changed SERVER_PORT.
        Matcher m = Pattern.compile("http://localhost:(\\$\\{SERVER_PORT:-(\\d+)}|(\\d+))(/[^\"\\s]*)")
                .matcher(health);
        if (!m.find()) {
            throw new IllegalStateException("HEALTHCHECK does not probe a localhost URL: " + health);
        }
        boolean followsServerPort = m.group(2) != null;
        int port = Integer.parseInt(followsServerPort ? m.group(2) : m.group(3));
        return new DockerfileSpec(entrypoint, env, m.group(4), port, followsServerPort);
    }

    /** Joins continuation lines and drops comments. */
    private static List<String> instructions(List<String> lines) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.endsWith("\\")) {
                cur.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            cur.append(line);
            out.add(cur.toString().replaceAll("\\s+", " ").strip());
            cur.setLength(0);
        }
        return out;
    }

    /** {@code KEY=value KEY2="a value"} pairs. */
    private static void parseEnv(String s, Map<String, String> env) {
        Matcher m = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"([^\"]*)\"|(\\S*))").matcher(s);
        while (m.find()) {
            env.put(m.group(1), m.group(3) != null ? m.group(3) : m.group(4));
        }
    }
}
