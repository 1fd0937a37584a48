package dev.kvstore.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.Mockito.atLeastOnce;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.kvstore.store.CompactionPolicy;
import dev.kvstore.store.StoreOptions;
import dev.kvstore.store.WalKeyValueStore;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stream's clock for "the client takes no bytes" starts only once the container has let it write: Tomcat's
 * {@code isReady()} answers false from {@code setWriteListener} until its own first {@code onWritePossible} call, which
 * a busy machine can delay past {@code kv.watch.send-timeout}. A progress tick in that gap once made the stream count
 * itself blocked, and the next tick dropped the brand-new connection before any answer (WatchConnectionReuseTest saw
 * one such fresh watch in CI).
 */
class SseStreamTest {

    @TempDir
    Path dir;

    @Test
    void aStreamTheContainerHasNotYetLetWriteIsNeverDroppedAsStalled() throws Exception {
        try (WalKeyValueStore store = WalKeyValueStore.open(StoreOptions.defaults(dir)
                .withCompaction(new CompactionPolicy(false, 0, 2.0)))) {
            WatchHub hub = mock(WatchHub.class);
            doAnswer(call -> {
                ((Runnable) call.getArgument(0)).run();
                return null;
            }).when(hub).execute(any());
            ServletOutputStream out = mock(ServletOutputStream.class);
            when(out.isReady()).thenReturn(false); // as Tomcat answers before its first onWritePossible
            AtomicInteger aborts = new AtomicInteger();
            SseStream stream = new SseStream(hub, mock(AsyncContext.class), out, aborts::incrementAndGet,
                    store.feed(), "", 1);
            long progress = TimeUnit.MILLISECONDS.toNanos(100);
            long sendTimeout = TimeUnit.MILLISECONDS.toNanos(200);
            long now = System.nanoTime();
            stream.tick(now + progress, progress, sendTimeout);
            stream.tick(now + TimeUnit.SECONDS.toNanos(5), progress, sendTimeout);
            assertThat(aborts).as("aborted before the container let it write").hasValue(0);
            verify(hub, never()).ended(any(), any());

            when(out.isReady()).thenReturn(true);
            stream.onWritePossible();
            verify(out, atLeastOnce()).write(any(byte[].class), anyInt(), anyInt());
            verify(out, atLeastOnce()).flush();
            assertThat(aborts).hasValue(0);
            verify(hub, never()).ended(any(), any());
        }
    }
}
