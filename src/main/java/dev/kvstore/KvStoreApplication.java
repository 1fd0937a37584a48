package dev.kvstore;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class KvStoreApplication {
    public static void main(String[] args) {
        SpringApplication.run(KvStoreApplication.class, args);
    }
}
