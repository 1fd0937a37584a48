package dev.kvstore.cluster;

/**
 * The cluster could not complete an operation in time: no leader, no majority reachable from this node, or this
 * replica halted. The web layer answers 503.
 * <p>
 * For a write the outcome is unknown: the command may still be committed and applied later (a client retries with
 * a condition, or reads to find out). A linearizable read that fails this way returned nothing stale.
 */
public class ClusterUnavailableException extends RuntimeException {

    public ClusterUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
