package dev.kvstore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.api.SseClient;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Watchers of the packaged jar across a SIGKILL: real SSE clients (the JDK HttpClient reading lines) watch
 * {@code w/} while a writer PUTs under {@code w/} and elsewhere; the service is killed in the middle of the writes
 * and restarted on the same port, and more writes follow. One watcher stays connected until the kill breaks its
 * stream, the other went away early (after {@value #EARLY} events); both resume with {@code Last-Event-ID}, as
 * EventSource does, so the second gets the revisions it missed from the history the restarted service rebuilt from
 * its log. The checker, for each: the events' revisions only go up (none twice), every acknowledged write under
 * the prefix came as its own event with its key and value, nothing from outside the prefix came, and the only event
 * without an acknowledgement is the write that was in flight at the kill.
 */
class WatchKillNineIT {

    private static final String PREFIX = "w/";
    private static final int EARLY = 30;
    private static final int BEFORE_KILL = 120;
    private static final int AFTER_RESTART = 40;
    private static final Pattern REVISION = Pattern.compile("\"revision\":(\\d+)");
    private static final Pattern CHANGE =
            Pattern.compile("\"key\":\"([^\"]*)\",\"type\":\"string\",\"value\":\"([^\"]*)\"");

    @TempDir
    Path dataDir;

    /** An event as the client received it: its revision and each change's key and value. */
    private record Seen(long revision, List<String> changes) {
    }

    @Test
    void watchersResumeAcrossSigkillAndSeeEveryAcknowledgedRevisionOnceInOrder() throws Exception {
        DockerfileSpec spec = DockerfileSpec.read(Path.of("Dockerfile"));
        Path jar = Path.of(System.getProperty("kv.jar", "target/kv-store.jar"));
        Path output = Files.createDirectories(Path.of("target", "e2e")).resolve("watch-kill-nine.log");
        Files.deleteIfExists(output);
        NavigableMap<Long, String> acked = new ConcurrentSkipListMap<>();
        List<Seen> through = new ArrayList<>();
        List<Seen> early = new ArrayList<>();
        int port;
        long lastAckedBeforeKill;
        try (ServiceProcess service = ServiceProcess.start(spec, jar, dataDir, output)) {
            port = service.port;
            service.awaitReady(Duration.ofSeconds(90));
            String from = "/watch?prefix=" + PREFIX + "&fromRevision=1";
            try (SseClient stays = SseClient.open(base(service), from, Map.of());
                 SseClient leaves = SseClient.open(base(service), from, Map.of())) {
                assertThat(stays.status()).isEqualTo(200);
                assertThat(leaves.status()).isEqualTo(200);
                AtomicBoolean stop = new AtomicBoolean();
                ExecutorService writer = Executors.newSingleThreadExecutor();
                Future<?> writes = writer.submit(() -> write(service, 0, Integer.MAX_VALUE, acked, stop));
                while (early.size() < EARLY) {
                    record(leaves.next(Duration.ofSeconds(30)), early);
                }
                leaves.close();
                // Kill once the watcher that stays has seen part of the writes, while the writer goes on.
                while (through.size() < BEFORE_KILL) {
                    record(stays.next(Duration.ofSeconds(30)), through);
                }
                service.kill();
                stop.set(true);
                writes.get();
                writer.shutdown();
                for (SseClient.Event e = stays.next(Duration.ofSeconds(30)); e != SseClient.END;
                     e = stays.next(Duration.ofSeconds(30))) {
                    record(e, through);
                }
            }
            lastAckedBeforeKill = acked.lastKey();
        }

        long spawned = System.nanoTime();
        try (ServiceProcess service = ServiceProcess.start(spec, jar, dataDir, output, "", Map.of(), List.of(),
                "localhost", port)) {
            service.awaitReady(Duration.ofSeconds(90));
            long ready = System.nanoTime();
            try (SseClient stays = resume(service, through); SseClient leaves = resume(service, early)) {
                write(service, BEFORE_KILL * 10, AFTER_RESTART, acked, new AtomicBoolean());
                readTo(acked.lastKey(), stays, through);
                readTo(acked.lastKey(), leaves, early);
            }
            System.out.printf("WatchKillNineIT: %d acknowledged writes under %s (%d before the kill); events"
                    + " received: %d by the watcher that stayed, %d by the one that left after %d; ready %d ms after"
                    + " the restart%n", acked.size(), PREFIX, acked.headMap(lastAckedBeforeKill, true).size(),
                    through.size(), early.size(), EARLY, (ready - spawned) / 1_000_000);
            service.terminate(Duration.ofSeconds(30));
        }
        check("the watcher that stayed", through, acked, lastAckedBeforeKill);
        check("the watcher that left early", early, acked, lastAckedBeforeKill);
    }

    private static SseClient resume(ServiceProcess service, List<Seen> seen) {
        SseClient watch = SseClient.open(base(service), "/watch?prefix=" + PREFIX,
                Map.of("Last-Event-ID", Long.toString(seen.get(seen.size() - 1).revision())));
        assertThat(watch.status()).isEqualTo(200);
        return watch;
    }

    private static void readTo(long revision, SseClient watch, List<Seen> seen) throws InterruptedException {
        while (seen.get(seen.size() - 1).revision() < revision) {
            SseClient.Event e = watch.next(Duration.ofSeconds(30));
            assertThat(e).as("the stream ended after the restart").isNotEqualTo(SseClient.END);
            record(e, seen);
        }
    }

    private static void check(String who, List<Seen> seen, NavigableMap<Long, String> acked, long lastAckedBeforeKill) {
        long previous = 0;
        List<Long> unacknowledged = new ArrayList<>();
        for (Seen s : seen) {
            assertThat(s.revision()).as("%s: revisions in order, none twice", who).isGreaterThan(previous);
            previous = s.revision();
            assertThat(s.changes()).as("%s: revision %d", who, s.revision()).hasSize(1);
            assertThat(s.changes().get(0)).as("%s: revision %d", who, s.revision()).startsWith(PREFIX);
            String written = acked.get(s.revision());
            if (written == null) {
                unacknowledged.add(s.revision());
            } else {
                assertThat(s.changes().get(0)).as("%s: revision %d", who, s.revision()).isEqualTo(written);
            }
        }
        assertThat(seen.stream().map(Seen::revision).toList()).as("%s: every acknowledged write under the prefix", who)
                .containsAll(acked.keySet());
        // The writer is sequential: at most the one write in flight at the kill reached the log unacknowledged.
        assertThat(unacknowledged).as(who).hasSizeLessThanOrEqualTo(1);
        unacknowledged.forEach(r -> assertThat(r).as(who).isGreaterThan(lastAckedBeforeKill));
    }

    private static String base(ServiceProcess service) {
        return "http://" + service.host + ":" + service.port;
    }

    /**
     * PUTs {@code count} values, each under the prefix then one elsewhere, until {@code stop} or a failure (the
     * kill); records each acknowledged one under the prefix by the revision its answer gives.
     */
    private static Void write(ServiceProcess service, int first, int count, Map<Long, String> acked,
                              AtomicBoolean stop) throws InterruptedException {
        for (int i = first; i < first + count && !stop.get(); i++) {
            String key = PREFIX + (i % 17);
            String value = "v" + i;
            String body = "{\"type\":\"string\",\"value\":\"" + value + "\"}";
            try {
                HttpResponse<String> r = service.put("/keys/" + key, body);
                assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
                Matcher m = REVISION.matcher(r.body());
                assertThat(m.find()).as(r.body()).isTrue();
                acked.put(Long.parseLong(m.group(1)), key + "=" + value);
                service.put("/keys/other/" + (i % 5), body);
            } catch (IOException e) {
                return null; // killed
            }
        }
        return null;
    }

    private static void record(SseClient.Event e, List<Seen> seen) {
        assertThat(e).as("the stream ended").isNotEqualTo(SseClient.END);
        if (!"change".equals(e.event())) {
            return; // progress events and comments carry no change
        }
        Matcher revision = REVISION.matcher(e.data());
        assertThat(revision.find()).as(e.data()).isTrue();
        assertThat(e.id()).isEqualTo(revision.group(1));
        List<String> changes = new ArrayList<>();
        for (Matcher m = CHANGE.matcher(e.data()); m.find(); ) {
            changes.add(m.group(1) + "=" + m.group(2));
        }
        seen.add(new Seen(Long.parseLong(revision.group(1)), changes));
    }
}
