package dev.kvstore.replication;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;

/** A bean of the single-node mode only, the default ({@code kv.cluster.enabled} unset or false). */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Documented
@ConditionalOnBooleanProperty(name = ClusterMode.PROPERTY, havingValue = false, matchIfMissing = true)
public @interface SingleNodeMode {
}
