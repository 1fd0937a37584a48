package dev.kvstore.store;

/**
 * The leases at one moment.
 *
 * @param leases        leases granted and not ended
 * @param attachedKeys  keys attached to one
 * @param expired       leases this process expired since it started
 * @param expiryStarted whether deadlines run (they start once the service takes requests)
 */
public record LeaseStatus(int leases, int attachedKeys, long expired, boolean expiryStarted) {
}
