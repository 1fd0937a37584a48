package dev.kvstore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Gives each {@link ApiTest} context a new, empty data directory ({@code kv.data-dir}), made when the context
 * starts, so that the class is the same for every context and Spring's cache can share them. The directory is
 * deleted when the context closes (at the end of the JVM), after the store has closed its log.
 */
public final class TestDataDirectory implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        Path dir;
        try {
            dir = Files.createTempDirectory("kv-api-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TestPropertyValues.of("kv.data-dir=" + dir).applyTo(context);
        // Disposable beans are destroyed in the reverse order of their registration: registered before any bean
        // exists, this one runs last, once the store has forced and closed its log.
        ((DefaultSingletonBeanRegistry) context.getBeanFactory())
                .registerDisposableBean(TestDataDirectory.class.getName(), () -> delete(dir));
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
