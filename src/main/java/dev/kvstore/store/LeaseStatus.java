package dev.kvstore.store;

/**
 * The leases at one moment.
 *
 * @param leases        leases granted and not ended
 * @param attachedKeys  keys attached to one
 * @param expired       leases this process expired since it started
 * @param expiryStarted whether deadlines run (they start once the service takes requests; in cluster mode, on the
 *                      leader only)
 * @param expiryRunning whether the thread that expires leases runs: false before the start, and if it died
 * @param overdueMillis how long the most overdue lease has been past its deadline without being expired yet (a
 *                      write of its expiry pending or refused by the log); 0 when none is
 */
public record LeaseStatus(int leases, int attachedKeys, long expired, boolean expiryStarted, boolean expiryRunning,
                          long overdueMillis) {
}
