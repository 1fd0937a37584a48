package dev.kvstore.security;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.RequestPostProcessor;

/**
 * With no token configured, only loopback clients are answered, unless protected mode is turned off. A client on
 * another host is simulated by the remote address of a MockMvc request; no traffic leaves the machine.
 */
class ProtectedModeTest {

    static final RequestPostProcessor REMOTE = r -> {
        r.setRemoteAddr("203.0.113.7");
        return r;
    };
    static final RequestPostProcessor LOOPBACK_V6 = r -> {
        r.setRemoteAddr("0:0:0:0:0:0:0:1");
        return r;
    };

    @TempDir
    static Path dataDir;

    @Nested
    @SpringBootTest
    @AutoConfigureMockMvc
    class On {

        @DynamicPropertySource
        static void config(DynamicPropertyRegistry r) {
            r.add("kv.data-dir", () -> dataDir.resolve("on").toString());
        }

        @Autowired
        MockMvc mvc;

        @Test
        void aRemoteClientGets403WithHowToConfigureAToken() throws Exception {
            mvc.perform(get("/keys/x").with(REMOTE)).andExpect(status().isForbidden())
                    .andExpect(content().contentType("application/problem+json"))
                    .andExpect(jsonPath("$.type").value("urn:kv-store:problem:protected-mode"))
                    .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString(
                            "kv.security.tokens[0].token")))
                    .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString(
                            "kv.security.protected-mode=false")));
            mvc.perform(put("/keys/x").with(REMOTE).contentType("application/json")
                    .content("{\"type\":\"integer\",\"value\":1}")).andExpect(status().isForbidden());
            mvc.perform(get("/actuator/prometheus").with(REMOTE)).andExpect(status().isForbidden());
            mvc.perform(get("/v3/api-docs").with(REMOTE)).andExpect(status().isForbidden());
        }

        @Test
        void probesStayOpenToRemoteOrchestrators() throws Exception {
            mvc.perform(get("/actuator/health/liveness").with(REMOTE)).andExpect(status().isOk());
            mvc.perform(get("/actuator/health/readiness").with(REMOTE)).andExpect(status().isOk());
        }

        @Test
        void loopbackClientsHaveFullAccessWithNoSetup() throws Exception {
            mvc.perform(put("/keys/local").contentType("application/json").content("{\"type\":\"integer\",\"value\":1}"))
                    .andExpect(status().isCreated());
            mvc.perform(get("/keys/local").with(LOOPBACK_V6)).andExpect(status().isOk());
            mvc.perform(get("/actuator/prometheus")).andExpect(status().isOk());
            mvc.perform(get("/actuator/health")).andExpect(jsonPath("$.components.wal.status").value("UP"));
        }
    }

    @Nested
    @SpringBootTest(properties = "kv.security.protected-mode=false")
    @AutoConfigureMockMvc
    class Off {

        @DynamicPropertySource
        static void config(DynamicPropertyRegistry r) {
            r.add("kv.data-dir", () -> dataDir.resolve("off").toString());
        }

        @Autowired
        MockMvc mvc;

        @Test
        void aRemoteClientIsAnsweredWhenProtectedModeIsDeliberatelyOff() throws Exception {
            mvc.perform(put("/keys/open").with(REMOTE).contentType("application/json")
                    .content("{\"type\":\"integer\",\"value\":1}")).andExpect(status().isCreated());
            mvc.perform(get("/keys/open").with(REMOTE)).andExpect(status().isOk());
        }
    }

    @Nested
    @SpringBootTest(properties = {"kv.security.tokens[0].token=remote-admin-token-1234", "kv.security.tokens[0].role=admin"})
    @AutoConfigureMockMvc
    class WithTokens {

        @DynamicPropertySource
        static void config(DynamicPropertyRegistry r) {
            r.add("kv.data-dir", () -> dataDir.resolve("tokens").toString());
        }

        @Autowired
        MockMvc mvc;

        @Test
        void aRemoteClientWithATokenIsAnsweredAndLoopbackNeedsOneToo() throws Exception {
            mvc.perform(get("/keys/none").with(REMOTE).header("Authorization", "Bearer remote-admin-token-1234"))
                    .andExpect(status().isNotFound());
            mvc.perform(get("/keys/none")).andExpect(status().isUnauthorized());
        }
    }
}
