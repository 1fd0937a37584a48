package dev.kvstore.api;

import dev.kvstore.KvProperties;
import dev.kvstore.store.Value;
import dev.kvstore.store.WalKeyValueStore;
import dev.kvstore.store.WriteOutcome;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.net.URI;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code PUT}, {@code GET} and {@code DELETE /keys/{key}}. The key is the whole rest of the path (it may hold
 * {@code /}), so the mapping is {@code /keys/**} and {@link KeyPath} reads the key from the raw URI.
 */
@RestController
class KeyController implements KeyApi {

    static final String KEYS = "/keys/**";

    private final WalKeyValueStore store;
    private final long maxRequestBytes;

    KeyController(WalKeyValueStore store, KvProperties properties) {
        this.store = store;
        this.maxRequestBytes = properties.limits().maxRequestBytes();
    }

    @Override
    @GetMapping(path = KEYS, produces = MediaType.APPLICATION_JSON_VALUE)
    public EntryView get(HttpServletRequest request) {
        String key = checkedKey(request);
        Value value = store.get(key);
        if (value == null) {
            throw notFound(key);
        }
        return EntryView.of(key, value);
    }

    @Override
    @PutMapping(path = KEYS, consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<EntryView> put(HttpServletRequest request) throws IOException {
        String key = checkedKey(request);
        RequestBody body = RequestBody.read(request, maxRequestBytes);
        Value value = ValueJson.parse(body.bytes(), body.length(), key);
        WriteOutcome outcome = store.set(key, value);
        EntryView entry = EntryView.of(key, value);
        if (outcome == WriteOutcome.CREATED) {
            return ResponseEntity.created(URI.create(KeyPath.encode(request.getContextPath(), key))).body(entry);
        }
        return ResponseEntity.ok(entry);
    }

    @Override
    @DeleteMapping(path = KEYS)
    public ResponseEntity<Void> delete(HttpServletRequest request) {
        String key = checkedKey(request);
        if (store.delete(key) == WriteOutcome.NOT_FOUND) {
            throw notFound(key);
        }
        return ResponseEntity.noContent().build();
    }

    private String checkedKey(HttpServletRequest request) {
        String key = KeyPath.keyOf(request);
        store.validateKey(key);
        return key;
    }

    private static ApiProblem notFound(String key) {
        return new ApiProblem(ApiProblem.Type.KEY_NOT_FOUND, "No value is stored under the key \"" + key + "\".");
    }
}
