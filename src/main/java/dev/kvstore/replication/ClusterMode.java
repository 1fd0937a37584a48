package dev.kvstore.replication;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;

/** A bean of cluster mode only ({@code kv.cluster.enabled=true}). */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Documented
@ConditionalOnBooleanProperty(ClusterMode.PROPERTY)
public @interface ClusterMode {

    String PROPERTY = "kv.cluster.enabled";
}
