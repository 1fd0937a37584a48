package dev.kvstore;

import dev.kvstore.tool.LogTool;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration;

@SpringBootApplication(exclude = UserDetailsServiceAutoConfiguration.class)
public class KvStoreApplication {
    /** Starts the service, or, for {@code verify}, {@code dump} or {@code repair}, runs the offline log tool. */
    public static void main(String[] args) {
        if (LogTool.isCommand(args)) {
            System.exit(LogTool.run(args, System.out, System.err));
        }
        exitZeroOnSigterm();
        SpringApplication.run(KvStoreApplication.class, args);
    }

    /**
     * SIGTERM is how orchestrators ask for a normal stop. The JVM's own handler exits with 143; this one runs the
     * same shutdown (Spring's graceful shutdown, then the store forces and closes its log) and exits 0.
     */
    @SuppressWarnings("sunapi")
    private static void exitZeroOnSigterm() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> System.exit(0));
        } catch (IllegalArgumentException noSuchSignal) {
            // not a POSIX platform: keep the JVM's default
        }
    }
}
