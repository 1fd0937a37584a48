package dev.kvstore.api;

import dev.kvstore.store.Entry;
import dev.kvstore.store.InvalidEntryException;
import dev.kvstore.store.Precondition;
import dev.kvstore.store.StoreUnavailableException;
import dev.kvstore.store.Value;
import dev.kvstore.store.WalKeyValueStore;
import dev.kvstore.store.WriteOutcome;
import dev.kvstore.store.WriteResult;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.HandlerMapping;
import tools.jackson.databind.json.JsonMapper;

/**
 * The common requests, a plain {@code GET} of a key that has a value and a plain {@code PUT}, answered without
 * Spring MVC's dispatch (handler lookup, argument resolution, content negotiation, message converters), which took
 * about half of a request's CPU (see {@code bench/profile.sh}). It runs after Spring Security, so the caller has been
 * authenticated and authorized as for any request, and it writes the same bytes and headers as
 * {@link KeyController} (the body through the same {@link JsonMapper}), plus a {@code Content-Length} when the
 * answer fits Tomcat's buffer.
 *
 * <p>It only answers the plain case: a valid key, no conditional or {@code Idempotency-Key} header, no query (no
 * lease), an {@code Accept} that takes JSON,
 * for a PUT a declared length and a {@code Content-Type} of JSON, a body that parses, and a write that succeeds.
 * Everything else goes down the chain to the controller, with the body it read replayed, so every refusal (404,
 * 400, 412, 413, 415, 503 ...) keeps its one implementation. A refused write wrote nothing, so the controller
 * meets the same state and refuses the same way.
 */
final class KeyFastPath extends OncePerRequestFilter {

    /** The pattern metrics tag the request with, as if the controller's mapping had matched it. */
    private static final String PATTERN = KeyController.KEYS;

    private final WalKeyValueStore store;
    private final JsonMapper json;
    private final long maxRequestBytes;

    KeyFastPath(WalKeyValueStore store, JsonMapper json, long maxRequestBytes) {
        this.store = store;
        this.json = json;
        this.maxRequestBytes = maxRequestBytes;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String key = plainKey(request);
        if (key != null && request.getMethod().equals("GET")) {
            Entry entry = store.entryIfPresent(key);
            if (entry != null) {
                answer(request, response, HttpServletResponse.SC_OK, key, entry);
                return;
            }
        } else if (key != null && request.getMethod().equals("PUT") && isJson(request.getContentType())
                && request.getContentLengthLong() >= 0 && request.getContentLengthLong() <= maxRequestBytes) {
            RequestBody body = RequestBody.read(request, maxRequestBytes);
            if (put(request, response, key, body)) {
                return;
            }
            chain.doFilter(new Replay(request, body), response);
            return;
        }
        chain.doFilter(request, response);
    }

    /** Writes the value when it parses and the store takes it; returns false, having written nothing, otherwise. */
    private boolean put(HttpServletRequest request, HttpServletResponse response, String key, RequestBody body)
            throws IOException {
        WriteResult result;
        try {
            Value value = ValueJson.parse(body.bytes(), body.length(), key);
            result = store.put(key, value, Precondition.NONE);
        } catch (ApiProblem | InvalidEntryException | StoreUnavailableException refused) {
            return false;
        }
        boolean created = result.outcome() == WriteOutcome.CREATED;
        if (created) {
            response.setHeader(HttpHeaders.LOCATION, KeyPath.encode(request.getContextPath(), key));
        }
        answer(request, response, created ? HttpServletResponse.SC_CREATED : HttpServletResponse.SC_OK, key,
                result.entry());
        return true;
    }

    private void answer(HttpServletRequest request, HttpServletResponse response, int status, String key, Entry entry)
            throws IOException {
        request.setAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE, PATTERN);
        response.setStatus(status);
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        response.setHeader(HttpHeaders.ETAG, Preconditions.etag(entry.revision()));
        // Streamed, so that a large value is not copied into a buffer of its size first. Closing the stream (the
        // mapper does) before Tomcat's buffer filled up gives a small answer its Content-Length.
        json.writeValue(response.getOutputStream(), EntryView.of(key, entry));
    }

    /** The request's key when the request is plain (see the class comment), else {@code null}. */
    private String plainKey(HttpServletRequest request) {
        if (request.getQueryString() != null || request.getHeader(HttpHeaders.IF_MATCH) != null
                || request.getHeader(HttpHeaders.IF_NONE_MATCH) != null
                || request.getHeader(IdempotentWrites.HEADER) != null
                || !acceptsJson(request.getHeader(HttpHeaders.ACCEPT))) {
            return null;
        }
        // Not validated here: a key the store refuses has no value (a GET misses) and makes put throw (a PUT is
        // handed on), and either way the controller validates it and answers the 400.
        return KeyPath.keyOrNull(request);
    }

    /** No {@code Accept}, or one that is exactly a type JSON satisfies; anything fancier goes to the controller. */
    private static boolean acceptsJson(String accept) {
        return accept == null || accept.equals("*/*") || accept.equals(MediaType.APPLICATION_JSON_VALUE)
                || accept.equals("application/*");
    }

    private static boolean isJson(String contentType) {
        return contentType != null && (contentType.equalsIgnoreCase(MediaType.APPLICATION_JSON_VALUE)
                || contentType.equalsIgnoreCase("application/json;charset=UTF-8"));
    }

    /** The request with the body this filter already read, for the controller to read again. */
    private static final class Replay extends HttpServletRequestWrapper {
        private final RequestBody body;

        Replay(HttpServletRequest request, RequestBody body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body.bytes(), 0, body.length());
            return new ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("the body was read already");
                }
            };
        }
    }
}
