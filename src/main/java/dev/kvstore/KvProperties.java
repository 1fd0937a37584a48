package dev.kvstore;

import dev.kvstore.cluster.ClusterConfig;
import dev.kvstore.cluster.ClusterMember;
import dev.kvstore.cluster.ClusterTls;
import dev.kvstore.store.CompactionPolicy;
import dev.kvstore.store.IdempotencyOptions;
import dev.kvstore.store.StoreObserver;
import dev.kvstore.store.StoreOptions;
import dev.kvstore.store.SyncMode;
import jakarta.validation.Valid;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * All of the store's configuration, under {@code kv.*} (environment: {@code KV_DATA_DIR}, {@code KV_WAL_SYNC}, ...).
 * The engine's settings left unset take the engine's defaults ({@link StoreOptions}, {@link CompactionPolicy#DEFAULT}),
 * which are declared there only.
 *
 * @param dataDir directory of {@code kvstore.log}; created when missing
 */
@Validated
@ConfigurationProperties("kv")
public record KvProperties(@NotNull @DefaultValue("./data") Path dataDir,
                           @Valid @DefaultValue Wal wal,
                           @Valid @DefaultValue Limits limits,
                           @Valid @DefaultValue Recovery recovery,
                           @Valid @DefaultValue Compaction compaction,
                           @DefaultValue Restore restore,
                           @DefaultValue Security security,
                           @Valid @DefaultValue Batch batch,
                           @Valid @DefaultValue Listing list,
                           @Valid @DefaultValue History history,
                           @Valid @DefaultValue Watch watch,
                           @Valid @DefaultValue Compression compression,
                           @Valid @DefaultValue Idempotency idempotency,
                           @Valid @DefaultValue Cluster cluster) {

    /**
     * @param sync         {@code always} (acknowledge after force), {@code interval} or {@code none}
     * @param syncInterval how often {@code interval} forces the log
     * @param magic        magic byte of every frame; {@code 0xAA} like the reference. The version byte is not
     *                     configured: it names the frame layout (0x01 seed, read; 0x02 with revisions, written)
     * @param writeTimeout how long a write waits to be acknowledged before it gets 503 with its outcome unknown
     */
    public record Wal(SyncMode sync, Duration syncInterval, @Min(0) @Max(255) Integer magic, Duration writeTimeout) {

        public Wal {
            sync = sync != null ? sync : StoreOptions.DEFAULT_SYNC;
            syncInterval = syncInterval != null ? syncInterval : StoreOptions.DEFAULT_SYNC_INTERVAL;
            magic = magic != null ? magic : StoreOptions.DEFAULT_MAGIC & 0xFF;
            writeTimeout = writeTimeout != null ? writeTimeout : StoreOptions.DEFAULT_WRITE_TIMEOUT;
        }

        @AssertTrue(message = "kv.wal.sync-interval must be at least 1ms")
        public boolean isSyncIntervalPositive() {
            return syncInterval == null || syncInterval.toMillis() >= 1;
        }

        @AssertTrue(message = "kv.wal.write-timeout must be at least 1ms")
        public boolean isWriteTimeoutPositive() {
            return writeTimeout == null || writeTimeout.toMillis() >= 1;
        }
    }

    /**
     * @param maxKeyBytes      longest key in UTF-8 bytes
     * @param maxValueSize     largest value (UTF-8 bytes of a string); at most 1 GB
     * @param maxRequestSize   largest request body; when unset, twice the value limit plus 64 KB, which leaves room
     *                         for JSON escapes
     * @param maxInflightBytes request body bytes all requests together may hold at once; when unset, a sixteenth of
     *                         the maximum heap (see {@link #maxInflight()})
     * @param inflightWait     how long a request waits for room in that budget before it gets 503
     */
    public record Limits(@Min(1) @Max(65535) Integer maxKeyBytes,
                         DataSize maxValueSize,
                         DataSize maxRequestSize,
                         DataSize maxInflightBytes,
                         @NotNull @DefaultValue("2s") Duration inflightWait) {

        public Limits {
            maxKeyBytes = maxKeyBytes != null ? maxKeyBytes : StoreOptions.DEFAULT_MAX_KEY_BYTES;
            maxValueSize = maxValueSize != null ? maxValueSize : DataSize.ofBytes(StoreOptions.DEFAULT_MAX_VALUE_BYTES);
        }

        /** Each body byte costs a few bytes of heap while it is parsed and written; a sixteenth leaves room. */
        private static final int HEAP_SHARE = 16;

        @AssertTrue(message = "kv.limits.max-inflight-bytes must be positive")
        public boolean isMaxInflightBytesPositive() {
            return maxInflightBytes == null || maxInflightBytes.toBytes() > 0;
        }

        @AssertTrue(message = "kv.limits.inflight-wait must not be negative")
        public boolean isInflightWaitNotNegative() {
            return inflightWait == null || !inflightWait.isNegative();
        }

        /** The in-flight budget in bytes: as configured, or a sixteenth of the JVM's maximum heap. */
        public long maxInflight() {
            return maxInflightBytes != null ? maxInflightBytes.toBytes()
                    : Runtime.getRuntime().maxMemory() / HEAP_SHARE;
        }

        private static final long MAX_VALUE_LIMIT = 1L << 30;

        @AssertTrue(message = "kv.limits.max-value-size must be between 0 and 1GB")
        public boolean isMaxValueSizeInRange() {
            return maxValueSize == null || (maxValueSize.toBytes() >= 0 && maxValueSize.toBytes() <= MAX_VALUE_LIMIT);
        }

        @AssertTrue(message = "kv.limits.max-request-size must be positive")
        public boolean isMaxRequestSizePositive() {
            return maxRequestSize == null || maxRequestSize.toBytes() > 0;
        }

        public long maxRequestBytes() {
            return maxRequestSize != null ? maxRequestSize.toBytes() : 2 * maxValueSize.toBytes() + 64 * 1024;
        }
    }

    /**
     * @param repair         on damage in the middle of the log, copy the original aside and keep the valid prefix,
     *                       instead of refusing to start; meant for one start, then to be switched off again
     * @param keepCopies     how many of the copies recovery set aside ({@code torn-*}, {@code corrupt-*}) each start
     *                       keeps, newest first; older ones are deleted
     * @param keepCopiesSize how many bytes the kept copies may take together (the one made by this start is always
     *                       kept)
     */
    public record Recovery(boolean repair, @Min(0) Integer keepCopies, DataSize keepCopiesSize) {

        public Recovery {
            keepCopies = keepCopies != null ? keepCopies : StoreOptions.DEFAULT_KEEP_COPIES;
            keepCopiesSize = keepCopiesSize != null ? keepCopiesSize
                    : DataSize.ofBytes(StoreOptions.DEFAULT_KEEP_COPIES_BYTES);
        }

        @AssertTrue(message = "kv.recovery.keep-copies-size must not be negative")
        public boolean isKeepCopiesSizeNotNegative() {
            return keepCopiesSize == null || keepCopiesSize.toBytes() >= 0;
        }
    }

    /**
     * When the log is compacted on its own, like Redis's {@code auto-aof-rewrite-*}: once it is larger than
     * {@code minBytes} and larger than {@code ratio} times the live data. {@code POST /admin/compaction} runs one at
     * any time.
     *
     * @param auto     whether compaction ever starts on its own
     * @param minBytes the log size below which it never starts on its own
     * @param ratio    how many times the live data the log must exceed; at least 1
     */
    public record Compaction(Boolean auto, DataSize minBytes, @DecimalMin("1.0") Double ratio) {

        public Compaction {
            auto = auto != null ? auto : CompactionPolicy.DEFAULT.auto();
            minBytes = minBytes != null ? minBytes : DataSize.ofBytes(CompactionPolicy.DEFAULT.minBytes());
            ratio = ratio != null ? ratio : CompactionPolicy.DEFAULT.ratio();
        }

        @AssertTrue(message = "kv.compaction.min-bytes must not be negative")
        public boolean isMinBytesNotNegative() {
            return minBytes == null || minBytes.toBytes() >= 0;
        }
    }

    /**
     * @param from a snapshot ({@code GET /admin/snapshot}) to fill the data directory from when its log is missing
     *             or empty; ignored, with a warning, when the log already holds data
     */
    public record Restore(Path from) {
    }

    /**
     * Who may do what. Values are checked by {@code TokenRegistry}, not by bean validation, whose messages would
     * repeat a rejected token.
     *
     * @param protectedMode with no token configured, answer only loopback clients (like Redis's protected mode)
     * @param tokens        bearer tokens, each with a role and optionally a key prefix
     */
    public record Security(@DefaultValue("true") boolean protectedMode, List<Token> tokens) {

        public Security {
            tokens = tokens == null ? List.of() : List.copyOf(tokens);
        }
    }

    /**
     * One bearer token: given in clear ({@code token}, e.g. from an environment variable) or as the hex SHA-256 of
     * the token ({@code sha256}), with a {@code role} ({@code read}, {@code write} or {@code admin}) and, for key
     * operations, an optional key {@code prefix} it is limited to. {@code name} identifies it in logs.
     */
    public record Token(String name, String token, String sha256, Role role, String prefix) {

        @Override
        public String toString() {
            return "Token[name=" + name + ", role=" + role + ", prefix=" + prefix + ", secret=****]";
        }
    }

    /**
     * {@code POST /batch}.
     *
     * @param maxOperations most operations in one batch
     * @param maxSize       largest batch, counted as the bytes of its operations in the log (18 bytes each plus its
     *                      key and value); at most 1GB
     */
    public record Batch(@Min(1) @Max(100_000) Integer maxOperations, DataSize maxSize) {

        public Batch {
            maxOperations = maxOperations != null ? maxOperations : StoreOptions.DEFAULT_MAX_BATCH_OPERATIONS;
            maxSize = maxSize != null ? maxSize : DataSize.ofBytes(StoreOptions.DEFAULT_MAX_BATCH_BYTES);
        }

        @AssertTrue(message = "kv.batch.max-size must be between 0 and 1GB")
        public boolean isMaxSizeInRange() {
            return maxSize == null || (maxSize.toBytes() >= 0 && maxSize.toBytes() <= 1L << 30);
        }
    }

    /**
     * {@code GET /keys?prefix=}.
     *
     * @param defaultLimit page size when the request gives no {@code limit}
     * @param maxLimit     largest {@code limit} a request may ask for
     */
    public record Listing(@Min(1) @DefaultValue("100") int defaultLimit,
                          @Min(1) @Max(100_000) @DefaultValue("1000") int maxLimit) {

        @AssertTrue(message = "kv.list.default-limit must not exceed kv.list.max-limit")
        public boolean isDefaultWithinMax() {
            return defaultLimit <= maxLimit;
        }
    }

    /**
     * The change feed's history ({@code GET /watch}).
     *
     * @param retention how much history is kept, counted as the heap its events take: each change's key, value and
     *                  previous value, plus about 100 bytes; when unset, 64MB or a sixteenth of the maximum heap,
     *                  whichever is less. The log keeps the same changes' frames across compactions, which take less
     */
    public record History(DataSize retention) {

        public History {
            retention = retention != null ? retention : DataSize.ofBytes(StoreOptions.defaultHistoryRetention());
        }

        /** At least a byte; less than one event keeps no history (a watch that falls behind gets 410). */
        @AssertTrue(message = "kv.history.retention must be at least 1B")
        public boolean isRetentionLargeEnough() {
            return retention == null || retention.toBytes() >= 1;
        }
    }

    /**
     * Large string values in the log.
     *
     * @param enabled whether strings are ever stored compressed (LZ4); frames written before are read either way
     * @param minSize strings of at least this many UTF-8 bytes are stored compressed, when that makes them smaller
     */
    public record Compression(Boolean enabled, DataSize minSize) {

        public Compression {
            enabled = enabled != null ? enabled : Boolean.TRUE;
            minSize = minSize != null ? minSize : DataSize.ofBytes(StoreOptions.DEFAULT_COMPRESSION_MIN_BYTES);
        }

        @AssertTrue(message = "kv.compression.min-size must be between 0 and 1GB")
        public boolean isMinSizeInRange() {
            return minSize == null || (minSize.toBytes() >= 0 && minSize.toBytes() <= 1L << 30);
        }

        int minBytes() {
            return enabled ? Math.toIntExact(minSize.toBytes()) : Integer.MAX_VALUE;
        }
    }

    /**
     * {@code GET /watch}.
     *
     * @param progressInterval how often a stream with nothing else to send sends a progress event with the current
     *                         revision
     * @param maxWait          the longest {@code wait} of a long poll
     * @param maxEvents        most events in one long-poll answer
     * @param sendTimeout      a stream whose client has taken no bytes for this long while events wait for it is
     *                         closed; the client resumes with {@code Last-Event-ID} while the history holds its
     *                         revision
     */
    public record Watch(@NotNull @DefaultValue("10s") Duration progressInterval,
                        @NotNull @DefaultValue("60s") Duration maxWait,
                        @Min(1) @Max(100_000) @DefaultValue("1000") int maxEvents,
                        @NotNull @DefaultValue("30s") Duration sendTimeout) {

        @AssertTrue(message = "kv.watch.progress-interval must be at least 10ms")
        public boolean isProgressIntervalPositive() {
            return progressInterval == null || progressInterval.toMillis() >= 10;
        }

        @AssertTrue(message = "kv.watch.max-wait must not be negative")
        public boolean isMaxWaitNotNegative() {
            return maxWait == null || !maxWait.isNegative();
        }

        @AssertTrue(message = "kv.watch.send-timeout must be at least 10ms")
        public boolean isSendTimeoutPositive() {
            return sendTimeout == null || sendTimeout.toMillis() >= 10;
        }
    }

    /**
     * Cluster mode: this node is one member of a Raft group (Apache Ratis) that replicates every write; see "Running a
     * cluster" in docs/operations.md. Off by default: a single node with its own log. The tuning values left unset
     * take {@link ClusterConfig.Builder}'s defaults, declared there only.
     *
     * @param enabled            join a Raft group instead of keeping a log of this node's own
     * @param nodeId             this member's id, one of {@code peers}
     * @param peers              every member with its Raft address, this node included:
     *                           {@code n1=host:port,n2=host:port,n3=host:port} (environment {@code KV_CLUSTER_PEERS}).
     *                           The Raft port binds to this node's own host from the list
     * @param join               this node is being added to a running group ({@code POST /admin/cluster/members}): it
     *                           starts with no configuration and waits for the leader to send it the state
     * @param electionTimeoutMin shortest time without a leader before a follower stands for election
     * @param electionTimeoutMax longest such time (each follower draws one in between)
     * @param requestTimeout     one attempt of a request between members
     * @param operationTimeout   a whole write or linearizable read, retries included; past it the client gets 503
     * @param snapshotEntries    take a snapshot (and purge the Raft log up to it) after this many entries
     * @param snapshotSize       or after this many bytes of commands
     * @param tls                mutual TLS on the Raft port
     */
    public record Cluster(boolean enabled, String nodeId, String peers, boolean join, Duration electionTimeoutMin,
                          Duration electionTimeoutMax, Duration requestTimeout, Duration operationTimeout,
                          @Min(1) Long snapshotEntries, DataSize snapshotSize, @Valid @DefaultValue Tls tls) {

        /**
         * A Raft port that other machines can reach gets TLS, or an explicit {@code kv.cluster.tls.enabled=false}:
         * anyone who reaches a plain one can write, vote and change the members.
         */
        @AssertTrue(message = "kv.cluster.peers has a member that is not on loopback, so other machines reach the"
                + " Raft port, and it has no TLS: give kv.cluster.tls.certificate, kv.cluster.tls.private-key and"
                + " kv.cluster.tls.trust (KV_CLUSTER_TLS_CERTIFICATE, ..._PRIVATE_KEY, ..._TRUST), or set"
                + " kv.cluster.tls.enabled=false (KV_CLUSTER_TLS_ENABLED=false) to keep it plain text on a network"
                + " that only the members reach")
        public boolean isRaftPortProtected() {
            return !enabled || tls == null || tls.enabled() != null || tls.anyFile() || onlyLoopbackPeers();
        }

        private boolean onlyLoopbackPeers() {
            try {
                return ClusterMember.parseList(peers).stream().allMatch(m -> ClusterTls.isLoopback(m.host()));
            } catch (IllegalArgumentException malformed) {
                return true; // reported when the configuration is built, with the reason
            }
        }

        @AssertTrue(message = "kv.cluster.node-id and kv.cluster.peers (KV_CLUSTER_PEERS) are required when"
                + " kv.cluster.enabled=true")
        public boolean isComplete() {
            return !enabled || (nodeId != null && !nodeId.isBlank() && peers != null && !peers.isBlank());
        }

        /**
         * The configuration of this node's {@code ClusterNode}.
         *
         * @param maxCommandBytes the largest command this node's limits let through, which Raft's entry buffers
         *                        are sized for
         * @throws IllegalArgumentException when the peers, the node id or a timeout do not make a configuration
         */
        public ClusterConfig toClusterConfig(Path dataDir, int maxCommandBytes) {
            ClusterConfig.Builder b = ClusterConfig.builder(nodeId.strip(), ClusterMember.parseList(peers), dataDir)
                    .join(join).maxCommandBytes(maxCommandBytes);
            if (electionTimeoutMin != null || electionTimeoutMax != null) {
                ClusterConfig defaults = ClusterConfig.builder(nodeId.strip(), ClusterMember.parseList(peers),
                        dataDir).build();
                b.electionTimeout(electionTimeoutMin != null ? electionTimeoutMin : defaults.electionTimeoutMin(),
                        electionTimeoutMax != null ? electionTimeoutMax : defaults.electionTimeoutMax());
            }
            if (requestTimeout != null) {
                b.requestTimeout(requestTimeout);
            }
            if (operationTimeout != null) {
                b.operationTimeout(operationTimeout);
            }
            if (snapshotEntries != null) {
                b.snapshotEntries(snapshotEntries);
            }
            if (snapshotSize != null) {
                b.snapshotBytes(snapshotSize.toBytes());
            }
            ClusterConfig plain = b.build();
            if (!tls.on()) {
                return plain;
            }
            return b.tls(ClusterTls.load(tls.certificate(), tls.privateKey(), tls.trust(), plain.self().host()))
                    .build();
        }
    }

    /**
     * Mutual TLS on the Raft port, as etcd's peer TLS: each member presents its certificate and accepts only members
     * (and clients) presenting one issued by a CA of {@code trust}; see docs/operations.md, "Mutual TLS between
     * nodes". The files are PEM, as cert-manager or a Kubernetes secret mount provides them, read at start.
     *
     * @param enabled     unset: on when any file is given, and required when a peer is not on loopback (the node
     *                    refuses to start without it); {@code false}: plain text, even when files are given (logged
     *                    as a warning); {@code true}: the three files are required
     * @param certificate this node's certificate (then any intermediate CAs); its subject alternative names must
     *                    include this node's host as written in {@code kv.cluster.peers}, and its extended key usage,
     *                    if any, both serverAuth and clientAuth
     * @param privateKey  the certificate's key, unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY})
     * @param trust       the CA certificates (a bundle) that issue the members' certificates
     */
    public record Tls(Boolean enabled, Path certificate, Path privateKey, Path trust) {

        @AssertTrue(message = "kv.cluster.tls.certificate, kv.cluster.tls.private-key and kv.cluster.tls.trust are"
                + " all required once TLS is on (kv.cluster.tls.enabled=true, or any of the three given)")
        public boolean isComplete() {
            return !on() || (certificate != null && privateKey != null && trust != null);
        }

        /** Whether the Raft port uses TLS. */
        public boolean on() {
            return enabled != null ? enabled : anyFile();
        }

        boolean anyFile() {
            return certificate != null || privateKey != null || trust != null;
        }
    }

    /**
     * The largest command the limits let through, encoded: a value with its key, or a whole batch, plus room for the
     * encoding's own fields. In cluster mode, Raft's entry buffers are sized from it.
     */
    public int maxCommandBytes() {
        long single = (long) limits.maxKeyBytes() + limits.maxValueSize().toBytes();
        long batchBytes = batch.maxSize().toBytes() + 64L * batch.maxOperations();
        return Math.toIntExact(Math.max(single, batchBytes) + (64 << 10));
    }

    /**
     * The {@code Idempotency-Key} records the store remembers (see docs/api.md, "Idempotency keys"): each one at least
     * {@code retention} after the latest one, unless the bounds drop it sooner, oldest first.
     *
     * @param retention how long a record is kept behind the latest one
     * @param maxKeys   most records kept
     * @param maxSize   most bytes they take in the log (their heap is about three times that)
     */
    public record Idempotency(Duration retention, @Min(1) Integer maxKeys, DataSize maxSize) {

        public Idempotency {
            retention = retention != null ? retention : IdempotencyOptions.DEFAULT_RETENTION;
            maxKeys = maxKeys != null ? maxKeys : IdempotencyOptions.DEFAULT_MAX_KEYS;
            maxSize = maxSize != null ? maxSize : DataSize.ofBytes(IdempotencyOptions.DEFAULT_MAX_BYTES);
        }

        @AssertTrue(message = "kv.idempotency.retention must be at least 1s")
        public boolean isRetentionPositive() {
            return retention == null || retention.toMillis() >= 1000;
        }

        @AssertTrue(message = "kv.idempotency.max-size must be positive")
        public boolean isMaxSizePositive() {
            return maxSize == null || maxSize.toBytes() > 0;
        }

        IdempotencyOptions toOptions() {
            return new IdempotencyOptions(retention, maxKeys, maxSize.toBytes());
        }
    }

    /** What a token may do; each role includes the ones before it. */
    public enum Role {
        /** GET and HEAD of keys, and listing. */
        READ,
        /** READ, plus PUT, PATCH, DELETE and batches. */
        WRITE,
        /** WRITE, plus {@code /admin/**} and the actuator endpoints besides the probes and the health summary. */
        ADMIN;

        public boolean includes(Role other) {
            return ordinal() >= other.ordinal();
        }
    }

    public StoreOptions toStoreOptions(StoreObserver observer) {
        return new StoreOptions(dataDir, wal.sync(), wal.syncInterval(), wal.magic().byteValue(), limits.maxKeyBytes(),
                Math.toIntExact(limits.maxValueSize().toBytes()), batch.maxOperations(),
                Math.toIntExact(batch.maxSize().toBytes()), recovery.repair(), observer,
                new CompactionPolicy(compaction.auto(), compaction.minBytes().toBytes(), compaction.ratio()),
                restore.from(), wal.writeTimeout(), recovery.keepCopies(), recovery.keepCopiesSize().toBytes(),
                compression.minBytes(),
                idempotency.toOptions(), history.retention().toBytes());
    }
}
