package dev.kvstore;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Marks a {@code String} field that is set, before each test, to a key prefix no other test in the JVM gets: the
 * test method's name, a number and a slash ({@code "aPageHoldsTheEntries-17/"}). Tests that share a store (an
 * {@link ApiTest} context) write only keys that start with it, so they never see each other's keys. The prefix is
 * made of characters that need no percent-encoding, so it can go into a path or a query as it is.
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface KeyPrefix {

    /** Sets the {@link KeyPrefix} fields of the test instance (and of its enclosing instances, for nested tests). */
    final class Extension implements BeforeEachCallback {

        private static final AtomicLong TESTS = new AtomicLong();

        @Override
        public void beforeEach(ExtensionContext context) throws IllegalAccessException {
            String prefix = context.getRequiredTestMethod().getName() + "-" + TESTS.incrementAndGet() + "/";
            for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
                for (Class<?> c = instance.getClass(); c != Object.class; c = c.getSuperclass()) {
                    for (Field field : c.getDeclaredFields()) {
                        if (field.isAnnotationPresent(KeyPrefix.class)) {
                            field.setAccessible(true);
                            field.set(instance, prefix);
                        }
                    }
                }
            }
        }
    }
}
