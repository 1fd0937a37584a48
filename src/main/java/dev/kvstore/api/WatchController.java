package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import dev.kvstore.security.Access;
import dev.kvstore.store.ChangeFeed;
import dev.kvstore.store.HistoryCompactedException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

/**
 * {@code GET /watch?prefix=&fromRevision=}: the changes under a prefix, revision by revision, as a stream of
 * Server-Sent Events ({@code Accept: text/event-stream}) or as a long poll ({@code Accept: application/json},
 * {@code wait=}). The request is checked here, synchronously, so that every refusal is an ordinary problem answer;
 * then the {@link WatchHub} takes over.
 */
@RestController
class WatchController implements WatchApi {

    /** A long poll's own timer answers it; the container's timeout is only a backstop. */
    private static final Duration BACKSTOP = Duration.ofSeconds(30);

    private final WatchHub hub;

    WatchController(WatchHub hub) {
        this.hub = hub;
    }

    @Override
    @GetMapping(path = "/watch", produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.TEXT_EVENT_STREAM_VALUE})
    public DeferredResult<WatchPage> watch(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        boolean stream = wantsStream(request);
        WatchQuery q = WatchQuery.parse(request, stream, hub.settings().maxWait(), hub.settings().maxEvents());
        Access.requireKey(request, q.prefix(), q.prefix().isEmpty() ? "the whole store" : "the prefix \"" + q.prefix() + "\"");
        ChangeFeed feed = hub.feed();
        long from = q.from() > 0 ? q.from() : feed.revision() + 1;
        long oldest = feed.compactRevision();
        if (from < oldest) {
            throw compacted(from, oldest, feed.floorCause(), q.prefix());
        }
        if (stream) {
            hub.stream(request, response, q.prefix(), from);
            return null;
        }
        DeferredResult<WatchPage> result = new DeferredResult<>(q.maxWait().plus(BACKSTOP).toMillis());
        if (q.maxWait().isZero()) {
            try {
                result.setResult(LongPoll.page(feed, q.prefix(), from, q.limit()));
            } catch (HistoryCompactedException e) {
                throw compacted(e, q.prefix());
            }
        } else {
            new LongPoll(hub, q.prefix(), from, q.limit(), result).start(q.maxWait().toNanos());
        }
        return result;
    }

    /** Whether the client asks for a stream: its {@code Accept} names {@code text/event-stream}. */
    private static boolean wantsStream(HttpServletRequest request) {
        for (String accept : java.util.Collections.list(request.getHeaders("Accept"))) {
            try {
                for (MediaType type : MediaType.parseMediaTypes(accept)) {
                    if (type.getType().equals("text") && type.getSubtype().equals("event-stream")
                            && type.getQualityValue() > 0) {
                        return true;
                    }
                }
            } catch (org.springframework.http.InvalidMediaTypeException e) {
                // Spring MVC answers 406 for it before the handler runs.
            }
        }
        return false;
    }

    /** The 410 of a watch from a revision older than the history. */
    static ApiProblem compacted(HistoryCompactedException e, String prefix) {
        return compacted(e.requested(), e.compactRevision(), e.floorCause(), prefix);
    }

    /** {@code cause}: why the history starts there ({@link ChangeFeed#floorCause()}). */
    private static ApiProblem compacted(long requested, long compactRevision, String cause, String prefix) {
        String list = prefix.isEmpty() ? "GET /keys" : "GET /keys?prefix=" + KeyPath.encodeComponent(prefix);
        return new ApiProblem(ProblemType.COMPACTED, String.format("Revision %d is older than the history this"
                + " server holds, which starts at revision %d (%s): the changes in between are no"
                + " longer known. List the keys (%s; every page carries the revision it was read at), then watch"
                + " from the first page's revision + 1.", requested, compactRevision, cause, list))
                .with("compactRevision", compactRevision);
    }
}
