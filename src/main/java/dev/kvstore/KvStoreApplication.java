package dev.kvstore;

import dev.kvstore.replication.ReplicatedKeyValueStore;
import dev.kvstore.store.WalKeyValueStore;
import dev.kvstore.tool.LogTool;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

@SpringBootApplication
public class KvStoreApplication {

    /** The exit status of a SIGTERM during start-up, as the JVM's own handler gives it (128 + 15). */
    static final int TERMINATED_WHILE_STARTING = 143;

    private static final AtomicReference<ConfigurableApplicationContext> RUNNING = new AtomicReference<>();
    private static final AtomicBoolean STOPPING = new AtomicBoolean();

    /** Starts the service, or, for {@code verify}, {@code dump} or {@code repair}, runs the offline log tool. */
    public static void main(String[] args) {
        if (LogTool.isCommand(args)) {
            System.exit(LogTool.run(args, System.out, System.err));
        }
        stopOnSigterm();
        RUNNING.set(SpringApplication.run(KvStoreApplication.class, args));
    }

    /**
     * SIGTERM is how orchestrators ask for a normal stop. The JVM's own handler exits with 143 whatever happened;
     * this one runs the same shutdown ({@link #stop}) and exits with its status.
     */
    @SuppressWarnings("sunapi")
    private static void stopOnSigterm() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> {
                // A second SIGTERM while the first one's shutdown runs changes nothing.
                if (STOPPING.compareAndSet(false, true)) {
                    System.exit(stop(RUNNING.get()));
                }
            });
        } catch (IllegalArgumentException noSuchSignal) {
            // not a POSIX platform: keep the JVM's default
        }
    }

    /**
     * Stops the service: readiness goes down, Tomcat finishes the requests in flight, then the store writes what is
     * queued, forces and closes its log. Returns 0 when the store ended without a failure, so that everything it
     * acknowledged is forced; 1 when it had failed (a write or force of the log failed, and it refused writes since)
     * or the shutdown itself failed; {@link #TERMINATED_WHILE_STARTING} when it was not started yet.
     */
    static int stop(ConfigurableApplicationContext context) {
        if (context == null) {
            return TERMINATED_WHILE_STARTING;
        }
        try {
            WalKeyValueStore store = context.getBeanProvider(WalKeyValueStore.class).getIfAvailable();
            ReplicatedKeyValueStore replica = context.getBeanProvider(ReplicatedKeyValueStore.class).getIfAvailable();
            context.close();
            String failure = store != null ? store.status().failure() : halted(replica);
            if (failure != null) {
                LogFactory.getLog(KvStoreApplication.class).error("Stopped with exit status 1: the store had failed ("
                        + failure + ")");
                return 1;
            }
            return 0;
        } catch (RuntimeException e) {
            LogFactory.getLog(KvStoreApplication.class).error("Stopped with exit status 1: the shutdown failed", e);
            return 1;
        }
    }

    /** In cluster mode: why this replica stopped applying the log, or null. */
    private static String halted(ReplicatedKeyValueStore replica) {
        Throwable cause = replica == null ? null : replica.node().haltCause();
        return cause == null ? null : "this replica halted: " + cause;
    }
}
