package dev.kvstore.cluster;

import java.io.IOException;

/** This replica's state failed to apply an entry, so it applies nothing more until it is restarted. */
final class ReplicaHaltedException extends IOException {

    ReplicaHaltedException(long index, Throwable cause) {
        super("this replica halted at log index " + index + " because its state failed to apply an entry: "
                + cause, cause);
    }
}
