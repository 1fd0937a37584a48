package dev.kvstore.store;

/**
 * The outcome of a {@link Command.GrantLease} or {@link Command.RevokeLease}.
 *
 * @param lease     the lease's id (for a grant, the revision it took)
 * @param ttlMillis its time to live, or 0 when there is no such lease
 * @param revision  the revision of the write, or 0 when nothing was written
 * @param keys      how many keys its end deleted
 */
public record LeaseResult(LeaseOutcome outcome, long lease, long ttlMillis, long revision, int keys)
        implements CommandResult {
}
