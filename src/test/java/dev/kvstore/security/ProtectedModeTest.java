package dev.kvstore.security;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.kvstore.ApiTest;
import dev.kvstore.KeyPrefix;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
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

    @Nested
    @ApiTest
    class On {

        @Autowired
        MockMvc mvc;

        @KeyPrefix
        String own;

        @Test
        void aRemoteClientGets403WithHowToConfigureAToken() throws Exception {
            mvc.perform(get("/keys/" + own + "x").with(REMOTE)).andExpect(status().isForbidden())
                    .andExpect(content().contentType("application/problem+json"))
                    .andExpect(jsonPath("$.type").value("urn:kv-store:problem:protected-mode"))
                    .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString(
                            "kv.security.tokens[0].token")))
                    .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString(
                            "kv.security.protected-mode=false")));
            mvc.perform(put("/keys/" + own + "x").with(REMOTE).contentType("application/json")
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
            mvc.perform(put("/keys/" + own + "local").contentType("application/json")
                            .content("{\"type\":\"integer\",\"value\":1}"))
                    .andExpect(status().isCreated());
            mvc.perform(get("/keys/" + own + "local").with(LOOPBACK_V6)).andExpect(status().isOk());
            mvc.perform(get("/actuator/prometheus")).andExpect(status().isOk());
            mvc.perform(get("/actuator/health")).andExpect(jsonPath("$.components.wal.status").value("UP"));
        }
    }

    @Nested
    @ApiTest(properties = "kv.security.protected-mode=false")
    class Off {

        @Autowired
        MockMvc mvc;

        @KeyPrefix
        String own;

        @Test
        void aRemoteClientIsAnsweredWhenProtectedModeIsDeliberatelyOff() throws Exception {
            mvc.perform(put("/keys/" + own + "open").with(REMOTE).contentType("application/json")
                    .content("{\"type\":\"integer\",\"value\":1}")).andExpect(status().isCreated());
            mvc.perform(get("/keys/" + own + "open").with(REMOTE)).andExpect(status().isOk());
        }
    }

    @Nested
    @TokenApiTest
    class WithTokens {

        @Autowired
        MockMvc mvc;

        @KeyPrefix
        String own;

        @Test
        void aRemoteClientWithATokenIsAnsweredAndLoopbackNeedsOneToo() throws Exception {
            mvc.perform(get("/keys/" + own + "none").with(REMOTE)
                            .header("Authorization", "Bearer " + TokenApiTest.ADMIN))
                    .andExpect(status().isNotFound());
            mvc.perform(get("/keys/" + own + "none")).andExpect(status().isUnauthorized());
        }
    }
}
