package dev.kvstore.ops;

import dev.kvstore.cluster.ClusterTlsException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains a start-up refused because a file of the Raft port's TLS cannot be used, and what to do about it. */
class ClusterTlsFailureAnalyzer extends AbstractFailureAnalyzer<ClusterTlsException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, ClusterTlsException cause) {
        return new FailureAnalysis("The Raft port's TLS cannot start: " + cause.getMessage() + ".",
                "Fix the file " + cause.property() + " names (environment "
                        + cause.property().toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_')
                        + "). Every member needs its own certificate and key, issued by a CA in kv.cluster.tls.trust,"
                        + " naming its host from kv.cluster.peers; docs/operations.md, \"Mutual TLS between nodes\","
                        + " shows how to make them.", cause);
    }
}
