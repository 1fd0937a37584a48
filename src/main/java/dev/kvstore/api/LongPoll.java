package dev.kvstore.api;

import dev.kvstore.store.ChangeEvent;
import dev.kvstore.store.ChangeFeed;
import dev.kvstore.store.HistoryCompactedException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.web.context.request.async.DeferredResult;

/**
 * One long poll of {@code GET /watch} ({@code Accept: application/json}): answers as soon as the feed holds a change
 * under the prefix from the requested revision on, or, when {@code wait} runs out first, with no events and the
 * revision the answer covers. No thread waits: the feed calls back when a new revision is published, and the hub's
 * timer when the wait is over.
 */
final class LongPoll {

    private final WatchHub hub;
    private final ChangeFeed feed;
    private final String prefix;
    private final long from;
    private final int limit;
    private final DeferredResult<WatchPage> result;
    private final AtomicBoolean answered = new AtomicBoolean();
    private volatile ChangeFeed.Subscription waiting;
    private volatile ScheduledFuture<?> timer;

    LongPoll(WatchHub hub, String prefix, long from, int limit, DeferredResult<WatchPage> result) {
        this.hub = hub;
        this.feed = hub.feed();
        this.prefix = prefix;
        this.from = from;
        this.limit = limit;
        this.result = result;
    }

    /** The answer as it stands now: the events from the requested revision on, up to the limit. */
    static WatchPage page(ChangeFeed feed, String prefix, long from, int limit) {
        ChangeFeed.Read read = feed.read(from, prefix, limit, Long.MAX_VALUE);
        List<EventView> events = new ArrayList<>(read.events().size());
        for (ChangeEvent e : read.events()) {
            events.add(EventView.of(e));
        }
        return new WatchPage(read.next() - 1, read.next(), events);
    }

    /** Waits up to {@code waitNanos} for a change, then answers. */
    void start(long waitNanos) {
        result.onTimeout(this::answerNow);
        result.onCompletion(this::stop);
        hub.waiting(this);
        timer = hub.schedule(this::answerNow, waitNanos);
        check();
    }

    /** Answers with what the feed holds now, events or none. */
    void answerNow() {
        answer(true);
    }

    private void check() {
        answer(false);
    }

    private void answer(boolean evenIfEmpty) {
        if (answered.get()) {
            return;
        }
        WatchPage page;
        try {
            page = page(feed, prefix, from, limit);
        } catch (HistoryCompactedException e) {
            if (answered.compareAndSet(false, true)) {
                result.setErrorResult(WatchController.compacted(e, prefix));
            }
            return;
        }
        if (page.events().isEmpty() && !evenIfEmpty && !feed.closed()) {
            // Revisions of other prefixes only: wait past them.
            waiting = feed.onChange(page.nextRevision(), prefix, () -> hub.execute(this::check));
            if (answered.get()) {
                waiting.cancel();
            }
            return;
        }
        if (answered.compareAndSet(false, true)) {
            result.setResult(page);
        }
    }

    private void stop() {
        answered.set(true);
        ChangeFeed.Subscription w = waiting;
        if (w != null) {
            w.cancel();
        }
        ScheduledFuture<?> t = timer;
        if (t != null) {
            t.cancel(false);
        }
        hub.answered(this);
    }
}
