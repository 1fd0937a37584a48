package dev.kvstore.api;

import dev.kvstore.KvProperties;
import dev.kvstore.security.Access;
import dev.kvstore.store.Entry;
import dev.kvstore.store.KeyValueStore;
import dev.kvstore.store.Page;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /keys?prefix=&limit=&cursor=&keysOnly=}: keys in UTF-8 byte order, a page at a time. */
@RestController
class ListController implements ListApi {

    private final KeyValueStore store;
    private final int defaultLimit;
    private final int maxLimit;

    ListController(KeyValueStore store, KvProperties properties) {
        this.store = store;
        this.defaultLimit = properties.list().defaultLimit();
        this.maxLimit = properties.list().maxLimit();
    }

    @Override
    @GetMapping(path = "/keys", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<ListView> list(HttpServletRequest request) {
        ListQuery q = ListQuery.parse(request, defaultLimit, maxLimit);
        Access.requireKey(request, q.prefix(), q.prefix().isEmpty() ? "the whole store" : "the prefix \"" + q.prefix() + "\"");
        Page page = store.list(q.prefix(), q.after(), q.limit());
        List<EntryView> items = new ArrayList<>(page.entries().size());
        for (Map.Entry<String, Entry> e : page.entries()) {
            items.add(q.keysOnly() ? EntryView.keyOnly(e.getKey(), e.getValue()) : EntryView.of(e.getKey(), e.getValue()));
        }
        ResponseEntity.BodyBuilder ok = ResponseEntity.ok().header(REVISION_HEADER, Long.toString(page.revision()));
        if (!page.more()) {
            return ok.body(new ListView(items, null, null, page.revision()));
        }
        String last = items.get(items.size() - 1).key();
        return ok.body(new ListView(items, ListQuery.cursor(last), q.next(request.getContextPath(), last),
                page.revision()));
    }

    /** The revision a listing page was read at. */
    static final String REVISION_HEADER = "X-Revision";
}
