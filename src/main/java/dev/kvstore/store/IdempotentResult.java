package dev.kvstore.store;

/**
 * The outcome of a command sent with an idempotency key.
 *
 * @param result the command's result: decided now ({@link Status#APPLIED}), or remembered from the first time
 *               ({@link Status#REPLAYED}); {@code null} otherwise. A remembered result holds no string values: the
 *               request that repeats the first one carries them (a remembered entry's string value is empty)
 */
public record IdempotentResult(Status status, CommandResult result) implements CommandResult {

    public enum Status {
        /** The first request with this key: the command was decided now, and its result remembered. */
        APPLIED,
        /** A repeat of the first request: nothing was decided again; {@code result} is the remembered one. */
        REPLAYED,
        /** The key was used before for a different request: nothing was done. */
        MISMATCH,
        /** The first request with this key is still being decided on this node: nothing was done. */
        IN_FLIGHT
    }

    @Override
    public long revision() {
        return status == Status.APPLIED ? result.revision() : 0;
    }
}
