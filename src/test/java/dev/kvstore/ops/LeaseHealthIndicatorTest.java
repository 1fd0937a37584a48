package dev.kvstore.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.store.LeaseStatus;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;

/**
 * The {@code leases} component's status from the expiry's state (the HTTP side, with a real overdue expiry, is in
 * {@code LeaseApiTest}): DOWN when deadlines run but the thread that expires leases does not, OUT_OF_SERVICE when a
 * lease is more than ten seconds overdue, UP before the start, on a follower, and while expiry keeps up.
 */
class LeaseHealthIndicatorTest {

    private static LeaseStatus status(boolean started, boolean running, long overdueMillis) {
        return new LeaseStatus(3, 5, 7, started, running, overdueMillis);
    }

    @Test
    void statusFollowsWhetherExpiryRunsAndKeepsUp() {
        assertThat(LeaseHealthIndicator.status(status(false, false, 0))).as("not started, or a follower")
                .isEqualTo(Status.UP);
        assertThat(LeaseHealthIndicator.status(status(true, true, 0))).isEqualTo(Status.UP);
        assertThat(LeaseHealthIndicator.status(status(true, true, 10_000))).as("behind, not far").isEqualTo(Status.UP);
        assertThat(LeaseHealthIndicator.status(status(true, true, 10_001))).isEqualTo(Status.OUT_OF_SERVICE);
        assertThat(LeaseHealthIndicator.status(status(true, false, 0))).as("the thread stopped")
                .isEqualTo(Status.DOWN);
        assertThat(LeaseHealthIndicator.status(status(true, false, 60_000))).isEqualTo(Status.DOWN);
    }
}
