package dev.kvstore.ops;

import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.kvstore.store.CompactionRunningException;
import dev.kvstore.store.InsufficientSpaceException;
import dev.kvstore.store.StoreUnavailableException;
import dev.kvstore.store.WalKeyValueStore;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

/** How the admin controller answers each refusal and failure of the engine: always a problem, never a bare 500. */
@WebMvcTest(AdminController.class)
@AutoConfigureMockMvc(addFilters = false)
class AdminControllerTest {

    @Autowired
    MockMvc mvc;

    @MockitoBean
    WalKeyValueStore store;

    @Test
    void aCompactionAlreadyRunningIs409() throws Exception {
        when(store.compact()).thenThrow(new CompactionRunningException());
        mvc.perform(post("/admin/compaction")).andExpect(status().isConflict())
                .andExpect(content().contentType("application/problem+json"))
                .andExpect(jsonPath("$.type").value("urn:kv-store:problem:compaction-running"))
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.startsWith("A compaction is already")))
                .andExpect(jsonPath("$.instance").value("/admin/compaction"));
    }

    @Test
    void noRoomOnTheDiskIs507WithTheNumbers() throws Exception {
        when(store.compact()).thenThrow(new InsufficientSpaceException("compaction", 20_000_000, 1_000));
        mvc.perform(post("/admin/compaction")).andExpect(status().isInsufficientStorage())
                .andExpect(content().contentType("application/problem+json"))
                .andExpect(jsonPath("$.type").value("urn:kv-store:problem:insufficient-storage"))
                .andExpect(jsonPath("$.neededBytes").value(20_000_000))
                .andExpect(jsonPath("$.usableBytes").value(1_000))
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("free some space")));
        when(store.snapshot()).thenThrow(new InsufficientSpaceException("a snapshot", 20_000_000, 1_000));
        mvc.perform(get("/admin/snapshot")).andExpect(status().isInsufficientStorage())
                .andExpect(content().contentType("application/problem+json"));
    }

    @Test
    void aDiskFailureIs503AndSaysNothingWasLost() throws Exception {
        when(store.compact()).thenThrow(new IOException("No space left on device"));
        mvc.perform(post("/admin/compaction")).andExpect(status().isServiceUnavailable())
                .andExpect(content().contentType("application/problem+json"))
                .andExpect(jsonPath("$.type").value("urn:kv-store:problem:admin-operation-failed"))
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("No space left")));
        when(store.snapshot()).thenThrow(new IOException("Input/output error"));
        mvc.perform(get("/admin/snapshot")).andExpect(status().isServiceUnavailable())
                .andExpect(jsonPath("$.type").value("urn:kv-store:problem:admin-operation-failed"));
    }

    @Test
    void aReadOnlyStoreIs503() throws Exception {
        when(store.compact()).thenThrow(new StoreUnavailableException("the store is closed", null));
        mvc.perform(post("/admin/compaction")).andExpect(status().isServiceUnavailable())
                .andExpect(jsonPath("$.type").value("urn:kv-store:problem:store-unavailable"));
    }

    @Test
    void onlyPostCompactsAndOnlyGetSnapshots() throws Exception {
        mvc.perform(get("/admin/compaction")).andExpect(status().isMethodNotAllowed())
                .andExpect(content().contentType("application/problem+json"));
        mvc.perform(post("/admin/snapshot")).andExpect(status().isMethodNotAllowed());
    }
}
