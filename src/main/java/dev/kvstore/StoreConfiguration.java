package dev.kvstore;

import dev.kvstore.ops.StoreMetrics;
import dev.kvstore.replication.SingleNodeMode;
import dev.kvstore.store.Diagnosis;
import dev.kvstore.store.RecoveryReport;
import dev.kvstore.store.SetAsideCopies;
import dev.kvstore.store.StoreStatus;
import dev.kvstore.store.WalKeyValueStore;
import java.io.IOException;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationListener;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the engine: the one {@link WalKeyValueStore}, opened (and so recovered) while the context starts, before
 * the web server starts or readiness goes UP. In cluster mode there is none: see {@link ClusterConfiguration}.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(KvProperties.class)
class StoreConfiguration {

    private static final Log LOG = LogFactory.getLog(WalKeyValueStore.class);

    @Bean(destroyMethod = "")
    @SingleNodeMode
    WalKeyValueStore walKeyValueStore(KvProperties properties, StoreMetrics metrics) throws IOException {
        WalKeyValueStore store = WalKeyValueStore.open(properties.toStoreOptions(metrics));
        logRestore(store, properties);
        StoreStatus status = store.status();
        logRecovery(status.lastRecovery(), store.size(), properties);
        logSetAside(status.setAside(), properties);
        return store;
    }

    /**
     * Closes the store when the context closes, which is after the web server has stopped taking requests and
     * finished the ones in flight: queued writes are written, the log is forced and closed.
     */
    @Bean
    @SingleNodeMode
    DisposableBean walKeyValueStoreCloser(WalKeyValueStore store) {
        return () -> {
            store.close();
            StoreStatus s = store.status();
            // After a failed force the log is closed without another one: say so rather than claim it was forced.
            LOG.info(String.format("Closed %s: %d bytes, %s", s.log(), s.logBytes(),
                    s.writable() || s.retrying() ? "forced" : "not forced again after the failure: " + s.failure()));
        };
    }

    /**
     * Starts the leases' deadlines once the service takes requests: after a restart, every lease gets its whole time
     * to live from the moment its clients can reach the service again, so that none expires while they could not
     * keep it alive.
     */
    @Bean
    @SingleNodeMode
    ApplicationListener<ApplicationReadyEvent> startLeaseExpiry(WalKeyValueStore store) {
        return event -> {
            store.startLeaseExpiry();
            var leases = store.leaseStatus();
            if (leases.leases() > 0) {
                LOG.info(String.format("Lease expiry started: %d leases with %d keys attached, each with its whole"
                        + " time to live from now", leases.leases(), leases.attachedKeys()));
            }
        };
    }

    /**
     * Logs every readiness change, so that operators (and the shutdown test) can see the order of events. On
     * SIGTERM, Spring Boot turns readiness to REFUSING_TRAFFIC as the context starts closing, before the web server
     * stops.
     */
    @Bean
    ApplicationListener<AvailabilityChangeEvent<ReadinessState>> logReadiness() {
        Log log = LogFactory.getLog(StoreConfiguration.class);
        return event -> log.info("Readiness: " + event.getState());
    }

    private static void logRestore(WalKeyValueStore store, KvProperties properties) {
        java.nio.file.Path from = properties.restore().from();
        if (from == null) {
            return;
        }
        java.nio.file.Path log = store.status().log();
        if (store.status().lastRecovery().restored()) {
            LOG.info(String.format("Restored %s from the snapshot %s. kv.restore.from is ignored from now on, since"
                    + " the log holds data; remove it when convenient.", log, from));
        } else {
            LOG.warn(String.format("kv.restore.from=%s ignored: %s already holds data, and a restore only fills an"
                    + " empty data directory. Point kv.data-dir at an empty directory to restore.", from,
                    log));
        }
    }

    private static void logSetAside(SetAsideCopies copies, KvProperties properties) {
        if (!copies.pruned().isEmpty()) {
            LOG.info(String.format("Deleted %d older copies that recovery had set aside (%s), keeping the newest %d"
                    + " within %d bytes (kv.recovery.keep-copies, kv.recovery.keep-copies-size).",
                    copies.pruned().size(), String.join(", ", copies.pruned()), properties.recovery().keepCopies(),
                    properties.recovery().keepCopiesSize().toBytes()));
        }
    }

    private static void logRecovery(RecoveryReport r, int keys, KvProperties properties) {
        LOG.info(String.format("Recovered %s: %d frames, %d bytes, %d live keys in %d ms (sync=%s)%s", r.log(),
                r.framesReplayed(), r.validBytes(), keys, r.duration().toMillis(),
                properties.wal().sync().name().toLowerCase(java.util.Locale.ROOT), r.created() ? "; created a new, empty log" : ""));
        Diagnosis d = r.diagnosis();
        if (d.mark() == Diagnosis.Mark.OTHER_LOG) {
            LOG.warn(String.format("Ignored %s.forced: it describes another log than %s (one placed here by hand, or"
                    + " the other side of a compaction's file switch). Recovery judged the log by its bytes alone; a"
                    + " new mark was written.", r.log(), r.log()));
        }
        if (r.repaired()) {
            LOG.warn(String.format("REPAIRED %s under kv.recovery.repair: cut %d bytes from offset %d on (%s). The"
                    + " original is at %s. Remove kv.recovery.repair now.", r.log(), r.bytesCut(), r.validBytes(),
                    d.defect() == null ? "the log was shorter than its forced mark" : d.defect().description(),
                    r.setAside()));
        } else if (d.kind() == Diagnosis.Kind.TORN_TAIL) {
            LOG.warn(String.format("Cut a torn tail of %d bytes at offset %d from %s (%s), the trace of a crash"
                    + " during a write. The cut bytes were saved to %s.", r.bytesCut(), r.validBytes(), r.log(),
                    d.defect().description(), r.setAside()));
        } else if (d.kind() == Diagnosis.Kind.LOST_WRITE) {
            LOG.warn(String.format("Cut %d bytes at offset %d from %s: a write there never reached the disk (%s,"
                    + " then zeros) while a later unforced one did, the trace of a power cut. The cut bytes were"
                    + " saved to %s.", r.bytesCut(), r.validBytes(), r.log(), d.defect().description(),
                    r.setAside()));
        }
    }
}
