package dev.kvstore;

import dev.kvstore.cluster.ClusterConfig;
import dev.kvstore.cluster.ClusterNode;
import dev.kvstore.ops.StoreMetrics;
import dev.kvstore.replication.ClusterMode;
import dev.kvstore.replication.ReplicatedKeyValueStore;
import java.io.IOException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.health.application.ReadinessStateHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Cluster mode ({@code kv.cluster.enabled=true}): instead of a log of its own, this node runs a member of a Raft group
 * whose state is the engine's replica ({@link ReplicatedKeyValueStore}), started while the context starts, before the
 * web server does. The HTTP API is the same; readiness waits for the group.
 */
@Configuration(proxyBeanMethods = false)
@ClusterMode
class ClusterConfiguration {

    private static final Log LOG = LogFactory.getLog(ClusterNode.class);

    @Bean(destroyMethod = "")
    ReplicatedKeyValueStore replicatedKeyValueStore(KvProperties properties, StoreMetrics metrics) throws IOException {
        ClusterConfig config = properties.cluster().toClusterConfig(properties.dataDir(), properties.maxCommandBytes());
        LOG.info(String.format("Cluster mode: node %s of %s%s, Raft log and snapshots in %s, election timeout %d-%d ms",
                config.nodeId(), config.members(), config.join() ? ", joining a running group" : "",
                config.raftDir(), config.electionTimeoutMin().toMillis(), config.electionTimeoutMax().toMillis()));
        if (config.tls() != null) {
            LOG.info(String.format("The Raft port %s uses mutual TLS: %s", config.self().address(),
                    config.tls().describe()));
        } else {
            LOG.warn(String.format("The Raft port %s is PLAIN TEXT with no authentication%s: anyone who reaches it"
                    + " can write to the store, vote and change its members. Keep it on a network only the members"
                    + " reach, or give it mutual TLS (docs/operations.md, \"Mutual TLS between nodes\").",
                    config.self().address(), properties.cluster().tls().enabled() == null ? ""
                            : " (kv.cluster.tls.enabled=false)"));
        }
        return ReplicatedKeyValueStore.start(config, properties.toStoreOptions(metrics));
    }

    /**
     * Stops the Raft server when the context closes, after the web server finished the requests in flight. Everything
     * acknowledged is in the Raft log of a majority already; Ratis takes a snapshot on the way out.
     */
    @Bean
    DisposableBean replicatedKeyValueStoreCloser(ReplicatedKeyValueStore store) {
        return () -> {
            store.close();
            LOG.info("Closed cluster node " + store.node().nodeId() + " at applied index "
                    + store.replica().appliedIndex());
        };
    }

    /**
     * Readiness (the probe's {@code readinessState}): besides the application's own state, a leader must be known and
     * this node must have applied what was committed when it started, so that it never answers from a state older
     * than the one it had before a restart.
     */
    @Bean
    ReadinessStateHealthIndicator readinessStateHealthIndicator(ApplicationAvailability availability,
                                                                ReplicatedKeyValueStore store) {
        return new ReadinessStateHealthIndicator(availability) {
            @Override
            protected AvailabilityState getState(ApplicationAvailability applicationAvailability) {
                AvailabilityState state = super.getState(applicationAvailability);
                return state == ReadinessState.ACCEPTING_TRAFFIC && !store.node().isReady()
                        ? ReadinessState.REFUSING_TRAFFIC : state;
            }
        };
    }
}
