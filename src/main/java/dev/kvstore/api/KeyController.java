package dev.kvstore.api;

import dev.kvstore.KvProperties;
import dev.kvstore.store.Entry;
import dev.kvstore.store.KeyValueStore;
import dev.kvstore.store.Value;
import dev.kvstore.store.WriteOutcome;
import dev.kvstore.store.WriteResult;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code PUT}, {@code GET}, {@code PATCH} and {@code DELETE /keys/{key}}, with {@code If-Match} and
 * {@code If-None-Match} ({@link Preconditions}). The key is the whole rest of the path (it may hold {@code /}), so
 * the mapping is {@code /keys/**} and {@link KeyPath} reads the key from the raw URI.
 */
@RestController
class KeyController implements KeyApi {

    static final String KEYS = "/keys/**";

    private final KeyValueStore store;
    private final long maxRequestBytes;

    KeyController(KeyValueStore store, KvProperties properties) {
        this.store = store;
        this.maxRequestBytes = properties.limits().maxRequestBytes();
    }

    @Override
    @GetMapping(path = KEYS, produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<EntryView> get(HttpServletRequest request) {
        String key = checkedKey(request);
        Preconditions conditions = Preconditions.of(request);
        Entry entry = store.get(key);
        if (!conditions.ifMatchHolds(entry)) {
            throw preconditionFailed(key, entry);
        }
        if (entry == null) {
            throw notFound(key);
        }
        String etag = Preconditions.etag(entry.revision());
        if (conditions.notModified(entry)) {
            return ResponseEntity.status(HttpStatus.NOT_MODIFIED).eTag(etag).build();
        }
        return ResponseEntity.ok().eTag(etag).body(EntryView.of(key, entry));
    }

    @Override
    @PutMapping(path = KEYS, consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<EntryView> put(HttpServletRequest request) throws IOException {
        String key = checkedKey(request);
        Preconditions conditions = Preconditions.of(request);
        RequestBody body = RequestBody.read(request, maxRequestBytes);
        Value value = ValueJson.parse(body.bytes(), body.length(), key);
        return written(request, key, store.put(key, value, conditions.forWrite()));
    }

    @Override
    @PatchMapping(path = KEYS, consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<EntryView> patch(HttpServletRequest request) throws IOException {
        String key = checkedKey(request);
        Preconditions conditions = Preconditions.of(request);
        RequestBody body = RequestBody.read(request, maxRequestBytes);
        Value step = ValueJson.parseIncrement(body.bytes(), body.length());
        WriteResult result = store.increment(key, step, conditions.forWrite());
        Entry current = result.entry();
        return switch (result.outcome()) {
            case NOT_A_NUMBER -> throw conflict(ApiProblem.Type.NOT_A_NUMBER, current, String.format(
                    "The key \"%s\" holds a string; only integer and float values can be incremented.", key));
            case TYPE_MISMATCH -> throw conflict(ApiProblem.Type.TYPE_MISMATCH, current, String.format(
                    "The key \"%s\" holds an integer, which takes only an integer step, not %s.", key,
                    EntryView.json(step)));
            case OVERFLOW -> throw conflict(ApiProblem.Type.OVERFLOW, current, String.format(
                    "Adding %s to %s under the key \"%s\" leaves the range of a %s; nothing was written.",
                    EntryView.json(step), EntryView.json(current.value()), key,
                    current.value() instanceof Value.Int ? "signed 64-bit integer" : "finite 64-bit float"));
            default -> written(request, key, result);
        };
    }

    @Override
    @DeleteMapping(path = KEYS)
    public ResponseEntity<Void> delete(HttpServletRequest request) {
        String key = checkedKey(request);
        WriteResult result = store.delete(key, Preconditions.of(request).forWrite());
        return switch (result.outcome()) {
            case NOT_FOUND -> throw notFound(key);
            case PRECONDITION_FAILED -> throw preconditionFailed(key, result.entry());
            default -> ResponseEntity.noContent().build();
        };
    }

    private static ResponseEntity<EntryView> written(HttpServletRequest request, String key, WriteResult result) {
        if (result.outcome() == WriteOutcome.PRECONDITION_FAILED) {
            throw preconditionFailed(key, result.entry());
        }
        Entry entry = result.entry();
        ResponseEntity.BodyBuilder response = result.outcome() == WriteOutcome.CREATED
                ? ResponseEntity.created(URI.create(KeyPath.encode(request.getContextPath(), key)))
                : ResponseEntity.ok();
        return response.eTag(Preconditions.etag(entry.revision())).body(EntryView.of(key, entry));
    }

    private String checkedKey(HttpServletRequest request) {
        String key = KeyPath.keyOf(request);
        store.validateKey(key);
        return key;
    }

    private static ApiProblem notFound(String key) {
        return new ApiProblem(ApiProblem.Type.KEY_NOT_FOUND, "No value is stored under the key \"" + key + "\".");
    }

    static ApiProblem preconditionFailed(String key, Entry current) {
        ApiProblem p = new ApiProblem(ApiProblem.Type.PRECONDITION_FAILED, current == null
                ? String.format("The key \"%s\" has no value, so the precondition does not hold; nothing was written.",
                        key)
                : String.format("The key \"%s\" is at revision %d (ETag \"%d\"), so the precondition does not hold;"
                        + " nothing was written.", key, current.revision(), current.revision()));
        return p.with("currentRevision", current == null ? null : current.revision());
    }

    private static ApiProblem conflict(ApiProblem.Type type, Entry current, String detail) {
        return new ApiProblem(type, detail).with("currentRevision", current.revision());
    }
}
