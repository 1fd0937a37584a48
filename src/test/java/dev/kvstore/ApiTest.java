package dev.kvstore;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.core.annotation.AliasFor;
import org.springframework.test.context.ContextConfiguration;

/**
 * The whole service on a random port (and {@code MockMvc}, for what a real socket cannot show from this machine,
 * such as a client on another host), on a data directory of its own, in a Spring context that every test class
 * with the same {@link #properties()} shares: Spring's context cache starts it once per JVM.
 *
 * <p>Tests on a shared context share its store, so each writes under its own key prefix (a {@link KeyPrefix}
 * field) and counts revisions and keys relative to what it read first. A test that needs a fresh store or a
 * restart uses {@link TestApps} instead. Keep the set of distinct {@code properties} small: each one is another
 * context, started once.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureMockMvc
@ContextConfiguration(initializers = TestDataDirectory.class)
@ExtendWith(KeyPrefix.Extension.class)
public @interface ApiTest {

    /** Properties of this configuration ({@code key=value}); classes that give the same ones share a context. */
    @AliasFor(annotation = SpringBootTest.class, attribute = "properties")
    String[] properties() default {};
}
