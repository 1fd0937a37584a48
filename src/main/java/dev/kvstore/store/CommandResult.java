package dev.kvstore.store;

/**
 * What a {@link Command} did: a {@link WriteResult} for a single write, a {@link BatchResult} for a batch, a
 * {@link LeaseResult} for a lease's grant or end, an {@link IdempotentResult} for a command sent with an idempotency
 * key.
 */
public sealed interface CommandResult permits WriteResult, BatchResult, LeaseResult, IdempotentResult {

    /** The revision the command took, or 0 when it changed nothing. */
    long revision();
}
