package dev.kvstore.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The deadlines on their own, on a clock the test moves: a lease never expires before its time to live has passed
 * since the last keepalive, expires as soon as it has, a keepalive after the deadline is refused, deadlines start
 * whole when expiry starts (after a restart), and an expiry the log refuses is tried again.
 */
class LeaseExpiryTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<Long> expired = new ArrayList<>();
    private final List<Long> lateness = new ArrayList<>();
    private final AtomicBoolean logRefuses = new AtomicBoolean();

    private LeaseExpiry expiry() {
        return new LeaseExpiry(lease -> {
            if (logRefuses.get()) {
                throw new StoreUnavailableException("the log refuses writes", null);
            }
            return () -> {
                expired.add(lease);
                return true;
            };
        }, now::get, lateness::add);
    }

    private void advance(long millis) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void aLeaseExpiresOnlyOnceItsTimeToLiveHasPassed() {
        LeaseExpiry e = expiry();
        e.start(false);
        e.granted(7, 1000);
        advance(999);
        e.expireDue();
        assertThat(expired).isEmpty();
        assertThat(e.remainingMillis(7)).isEqualTo(1);
        advance(1);
        e.expireDue();
        assertThat(expired).containsExactly(7L);
        assertThat(lateness).containsExactly(0L);
        assertThat(e.expired()).isEqualTo(1);
        e.expireDue();
        assertThat(expired).as("once").containsExactly(7L);
    }

    @Test
    void aKeepaliveRenewsTheWholeTimeToLiveFromNow() {
        LeaseExpiry e = expiry();
        e.start(false);
        e.granted(7, 1000);
        for (int i = 0; i < 100; i++) {
            advance(700);
            assertThat(e.keepAlive(7)).isEqualTo(1000);
            e.expireDue();
        }
        assertThat(expired).isEmpty();
        advance(999);
        e.expireDue();
        assertThat(expired).isEmpty();
        advance(1);
        e.expireDue();
        assertThat(expired).containsExactly(7L);
    }

    @Test
    void aKeepaliveAfterTheDeadlineIsRefusedEvenBeforeTheExpiryIsApplied() {
        LeaseExpiry e = expiry();
        e.start(false);
        e.granted(7, 1000);
        advance(1000);
        assertThat(e.keepAlive(7)).isEqualTo(-1);
        e.expireDue();
        assertThat(expired).containsExactly(7L);
        assertThat(e.keepAlive(8)).as("a lease it never heard of").isEqualTo(-1);
    }

    @Test
    void anEndedLeaseIsNeitherKeptAliveNorExpired() {
        LeaseExpiry e = expiry();
        e.start(false);
        e.granted(7, 1000);
        e.ended(7);
        assertThat(e.keepAlive(7)).isEqualTo(-1);
        assertThat(e.remainingMillis(7)).isEqualTo(-1);
        advance(5000);
        e.expireDue();
        assertThat(expired).isEmpty();
    }

    /** After a restart: leases loaded from the log get their whole time to live from the start, whenever that is. */
    @Test
    void nothingExpiresBeforeStartAndEveryLeaseThenGetsItsWholeTimeToLive() {
        LeaseExpiry e = expiry();
        e.load(Map.of(1L, 1000L, 2L, 5000L), List.of(3L));
        advance(60_000);
        e.expireDue();
        assertThat(expired).isEmpty();
        assertThat(e.remainingMillis(1)).isEqualTo(1000);
        assertThat(e.keepAlive(1)).as("before start").isEqualTo(1000);
        e.start(false);
        e.expireDue();
        assertThat(expired).as("keys attached to a lease the log never granted go at once").containsExactly(3L);
        advance(999);
        e.expireDue();
        assertThat(expired).containsExactly(3L);
        advance(1);
        e.expireDue();
        assertThat(expired).containsExactly(3L, 1L);
        advance(4000);
        e.expireDue();
        assertThat(expired).containsExactly(3L, 1L, 2L);
    }

    @Test
    void anExpiryTheLogRefusesIsTriedAgainAndTheLeaseStaysExpired() {
        LeaseExpiry e = expiry();
        e.start(false);
        e.granted(7, 1000);
        logRefuses.set(true);
        advance(1000);
        e.expireDue();
        assertThat(expired).isEmpty();
        assertThat(e.keepAlive(7)).as("expired, though not written yet").isEqualTo(-1);
        logRefuses.set(false);
        advance(TimeUnit.NANOSECONDS.toMillis(LeaseExpiry.RETRY_NANOS) - 1);
        e.expireDue();
        assertThat(expired).isEmpty();
        advance(1);
        e.expireDue();
        assertThat(expired).containsExactly(7L);
    }

    @Test
    void theThreadExpiresOnItsOwnAndStopsOnClose() throws InterruptedException {
        AtomicLong real = new AtomicLong();
        List<Long> done = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.CountDownLatch expiredOne = new java.util.concurrent.CountDownLatch(1);
        LeaseExpiry e = new LeaseExpiry(lease -> () -> {
            done.add(lease);
            expiredOne.countDown();
            return true;
        }, System::nanoTime, real::set);
        e.start();
        long t0 = System.nanoTime();
        e.granted(7, 200);
        assertThat(expiredOne.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(System.nanoTime() - t0).as("not before its time to live")
                .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
        assertThat(done).containsExactly(7L);
        e.close();
    }

    /** How far behind expiry is, while the log refuses an expiry: from the lease's deadline on. */
    @Test
    void anExpiryThatCannotBeWrittenShowsAsOverdue() {
        LeaseExpiry e = expiry();
        e.granted(7, 1000);
        assertThat(e.overdueMillis()).as("before the start").isZero();
        e.start(false);
        advance(999);
        assertThat(e.overdueMillis()).isZero();
        logRefuses.set(true);
        advance(1);
        e.expireDue();
        advance(2500);
        e.expireDue();
        e.expireDue();
        assertThat(e.overdueMillis()).as("2.5 s behind, retries and all").isEqualTo(2500);
        logRefuses.set(false);
        advance(1000);
        e.expireDue();
        assertThat(expired).containsExactly(7L);
        e.ended(7); // as the lease table tells it once the expiry is applied
        assertThat(e.overdueMillis()).isZero();
    }

    /**
     * A leader that steps down stops; a new one starts every deadline afresh (its whole time to live from then), and
     * an expiry the old one was still writing, if refused, is not retried into the new one's deadlines.
     */
    @Test
    void aNewLeaderRestartsEveryDeadlineAndAnOldTermsRetryMovesNone() throws Exception {
        java.util.concurrent.CountDownLatch submitted = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch refuse = new java.util.concurrent.CountDownLatch(1);
        LeaseExpiry e = new LeaseExpiry(lease -> () -> {
            submitted.countDown();
            try {
                refuse.await();
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
            }
            throw new StoreUnavailableException("the old leader's proposal was not committed", null);
        }, now::get, lateness::add);
        e.start(false);
        e.granted(7, 5000);
        advance(5000);
        Thread oldLeader = new Thread(e::expireDue, "old-leader-expiry");
        oldLeader.start();
        assertThat(submitted.await(10, TimeUnit.SECONDS)).isTrue();
        e.stop();
        assertThat(e.started()).isFalse();
        advance(10_000);
        e.start(false);
        assertThat(e.remainingMillis(7)).as("the whole time to live from the new start").isEqualTo(5000);
        refuse.countDown();
        oldLeader.join(10_000);
        assertThat(e.remainingMillis(7)).as("not moved to a retry of the old term").isEqualTo(5000);
        assertThat(e.keepAlive(7)).isEqualTo(5000);
        advance(4999);
        e.expireDue();
        assertThat(e.remainingMillis(7)).isEqualTo(1);
        assertThat(e.overdueMillis()).isZero();
    }
}
