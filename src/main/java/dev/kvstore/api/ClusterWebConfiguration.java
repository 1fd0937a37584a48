package dev.kvstore.api;

import dev.kvstore.ClusterMode;
import dev.kvstore.replication.ReplicatedKeyValueStore;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.examples.Example;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.parameters.HeaderParameter;
import io.swagger.v3.oas.models.responses.ApiResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The HTTP side of cluster mode for keys: the read barrier before reads ({@link ReadBarrierInterceptor}), and the
 * OpenAPI document's additions (the {@code Read-Consistency} header, the 503 of a node without a majority).
 */
@Configuration(proxyBeanMethods = false)
@ClusterMode
class ClusterWebConfiguration {

    static final String UNAVAILABLE_WRITE = "{\"type\":\"urn:kv-store:problem:cluster-unavailable\",\"title\":\"Cluster"
            + " unavailable\",\"status\":503,\"detail\":\"The cluster did not commit this write in time (write failed,"
            + " no leader with a majority answered in time). Its outcome is unknown: it may still be applied. Retry"
            + " with a precondition (If-Match), or read the key to find out.\",\"instance\":\"/keys/greeting\"}";
    static final String UNAVAILABLE_READ = "{\"type\":\"urn:kv-store:problem:cluster-unavailable\",\"title\":"
            + "\"Cluster unavailable\",\"status\":503,\"detail\":\"This node could not confirm with a majority of the"
            + " cluster that its state is current (read barrier failed, no leader with a majority answered in"
            + " time), so it answers nothing rather than something stale. Retry, or send Read-Consistency: stale"
            + " to read this node's state as it is.\",\"instance\":\"/keys/greeting\"}";
    static final String INVALID_CONSISTENCY = "{\"type\":\"urn:kv-store:problem:invalid-read-consistency\",\"title\":"
            + "\"Invalid read consistency\",\"status\":400,\"detail\":\"Read-Consistency must be \\\"linearizable\\\""
            + " (the default) or \\\"stale\\\", not \\\"eventual\\\".\",\"instance\":\"/keys/greeting\"}";

    @Bean
    WebMvcConfigurer readBarrier(ReplicatedKeyValueStore store) {
        ReadBarrierInterceptor interceptor = new ReadBarrierInterceptor(store::readBarrier);
        return new WebMvcConfigurer() {
            @Override
            public void addInterceptors(InterceptorRegistry registry) {
                registry.addInterceptor(interceptor).addPathPatterns("/keys", "/keys/**");
            }
        };
    }

    @Bean
    OpenApiCustomizer clusterModeKeyOperations() {
        return openApi -> {
            if (openApi.getPaths() == null) {
                return;
            }
            openApi.getPaths().forEach((path, item) -> {
                if (path.equals("/keys") || path.startsWith("/keys/")) {
                    read(item.getGet());
                    write(item.getPut());
                    write(item.getPatch());
                    write(item.getDelete());
                } else if (path.equals("/batch")) {
                    write(item.getPost());
                }
            });
        };
    }

    private static void read(Operation op) {
        if (op == null) {
            return;
        }
        op.addParametersItem(new HeaderParameter().name(ReadBarrierInterceptor.HEADER).required(false)
                .description("Cluster mode: `linearizable` (the default) answers only after this node confirmed with"
                        + " the leader that its state holds every write acknowledged before the request (a"
                        + " ReadIndex, one round trip to the leader); `stale` answers from this node's state as it is,"
                        + " which may miss recent writes, also on a node cut off from the majority.")
                .schema(new StringSchema()._enum(List.of(ReadBarrierInterceptor.LINEARIZABLE,
                        ReadBarrierInterceptor.STALE))._default(ReadBarrierInterceptor.LINEARIZABLE)));
        addProblem(op, "400", "Read-Consistency is neither linearizable nor stale", "invalid-read-consistency",
                INVALID_CONSISTENCY);
        addProblem(op, "503", "Cluster mode: no leader with a majority confirmed this node's state in time, so"
                + " nothing is answered rather than something stale", "cluster-unavailable", UNAVAILABLE_READ);
    }

    private static void write(Operation op) {
        if (op != null) {
            addProblem(op, "503", "Cluster mode: the write was not committed by a majority in time; its outcome is"
                    + " unknown", "cluster-unavailable", UNAVAILABLE_WRITE);
        }
    }

    /** Adds an example to the operation's problem response of that status, creating the response if it has none. */
    @SuppressWarnings("rawtypes")
    private static void addProblem(Operation op, String status, String description, String name, String json) {
        ApiResponse response = op.getResponses().get(status);
        if (response == null) {
            response = new ApiResponse().description(description).content(new Content());
            op.getResponses().addApiResponse(status, response);
        } else {
            response.description(response.getDescription() + "; or " + description);
        }
        if (response.getContent() == null) {
            response.content(new Content());
        }
        MediaType problem = response.getContent().get("application/problem+json");
        if (problem == null) {
            problem = new MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem"));
            response.getContent().addMediaType("application/problem+json", problem);
        }
        if (problem.getExample() != null) {
            // One example already, unnamed: keep it as a named one beside the new one.
            problem.addExamples("default", new Example().value(problem.getExample()));
            problem.setExample(null);
        }
        problem.addExamples(name, new Example().value(parse(json)));
        if (status.equals("503")) {
            Map<String, Header> headers = response.getHeaders() == null ? new LinkedHashMap<>()
                    : response.getHeaders();
            headers.putIfAbsent("Retry-After", new Header().description("Seconds to wait before retrying")
                    .schema(new IntegerSchema()));
            response.setHeaders(headers);
        }
    }

    private static Object parse(String json) {
        return tools.jackson.databind.json.JsonMapper.builder().build().readValue(json, Map.class);
    }
}
