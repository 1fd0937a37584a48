package dev.kvstore.cluster;

import java.nio.file.Path;

/** A file of the Raft port's TLS settings that cannot be used; names the property, the file and why. */
public final class ClusterTlsException extends IllegalArgumentException {

    private final String property;

    ClusterTlsException(String property, Path file, String problem, Throwable cause) {
        super(property + " (" + file + ") " + problem, cause);
        this.property = property;
    }

    /** The property whose file is wrong, e.g. {@code kv.cluster.tls.private-key}. */
    public String property() {
        return property;
    }
}
