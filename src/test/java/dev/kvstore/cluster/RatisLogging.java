package dev.kvstore.cluster;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ratis logs every election, segment roll and snapshot at INFO, and gRPC/Netty more at DEBUG (logback's level when
 * no configuration is loaded, as in these plain JUnit tests): keep warnings only, and this package's INFO lines.
 */
final class RatisLogging {

    private RatisLogging() {
    }

    /** {@code -Dkv.test.ratis-log=INFO} shows Ratis's own log when a test needs explaining. */
    static void quiet() {
        final String wanted = System.getProperty("kv.test.ratis-log");
        if (wanted != null) {
            level("org.apache.ratis", Level.toLevel(wanted));
            return;
        }
        level("org.apache.ratis", Level.WARN);
        // Every refused connection to a stopped node, with its stack trace.
        level("org.apache.ratis.grpc", Level.ERROR);
        level("dev.kvstore.cluster", Level.INFO);
        for (String name : System.getProperty("kv.test.debug-log", "").split(",")) {
            if (!name.isBlank()) {
                level(name.strip(), Level.DEBUG);
            }
        }
    }

    private static void level(String name, Level level) {
        if (LoggerFactory.getLogger(name) instanceof Logger logger) {
            logger.setLevel(level);
        }
    }
}
