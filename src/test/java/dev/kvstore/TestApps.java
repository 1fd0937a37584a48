package dev.kvstore;

import java.nio.file.Path;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The whole service started in the test's JVM on a random port and a given data directory, outside Spring's test
 * context cache: for tests that stop and start it again on the same directory, start it on a directory they
 * prepared (a golden log, a snapshot to restore), or expect it to refuse to start. Each call starts a new context;
 * the caller closes it. Tests that only need a running service use {@link ApiTest}, which starts once.
 */
public final class TestApps {

    private TestApps() {
    }

    public static ConfigurableApplicationContext start(Path dataDir, String... extra) {
        String[] args = new String[extra.length + 2];
        args[0] = "--server.port=0";
        args[1] = "--kv.data-dir=" + dataDir;
        System.arraycopy(extra, 0, args, 2, extra.length);
        return new SpringApplicationBuilder(KvStoreApplication.class).main(KvStoreApplication.class).run(args);
    }

    public static int port(ConfigurableApplicationContext app) {
        return app.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
    }
}
