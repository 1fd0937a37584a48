package dev.kvstore;

import dev.kvstore.tool.LogTool;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class KvStoreApplication {
    /** Starts the service, or, for {@code verify}, {@code dump} or {@code repair}, runs the offline log tool. */
    public static void main(String[] args) {
        if (LogTool.isCommand(args)) {
            System.exit(LogTool.run(args, System.out, System.err));
        }
        SpringApplication.run(KvStoreApplication.class, args);
    }
}
