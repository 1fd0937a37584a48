package dev.kvstore.api;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.parameters.PathParameter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    static final String BEARER = "bearer";

    @Bean
    OpenAPI kvStoreOpenApi() {
        return new OpenAPI().info(new Info().title("KV-Store").version("v1")
                        .description("A crash-safe, persistent key-value store of typed values (string, 64-bit"
                                + " integer, 64-bit float). Every error is RFC 9457 application/problem+json."
                                + " With tokens configured, send one as 'Authorization: Bearer <token>' (the"
                                + " Authorize button); with none, only loopback clients are answered."))
                .components(new Components().addSecuritySchemes(BEARER, new SecurityScheme()
                        .type(SecurityScheme.Type.HTTP).scheme("bearer")
                        .description("A token from kv.security.tokens: read, write or admin")))
                .addSecurityItem(new SecurityRequirement().addList(BEARER));
    }

    /**
     * The controller maps {@code /keys/**} because a key may span path segments; documents and Swagger UI need the
     * template {@code /keys/{key}} (the UI then sends the key percent-encoded, {@code /} as {@code %2F}).
     */
    @Bean
    OpenApiCustomizer keyPathTemplate() {
        return openApi -> {
            PathItem item = openApi.getPaths() == null ? null : openApi.getPaths().remove("/keys/**");
            if (item != null) {
                item.readOperations().forEach(op -> {
                    op.addParametersItem(keyParameter());
                    op.getResponses().addApiResponse("401", problem("No token, or an unknown one"));
                    op.getResponses().addApiResponse("403", problem("The token's role or key prefix does not allow"
                            + " this"));
                });
                openApi.getPaths().addPathItem("/keys/{key}", item);
            }
            if (openApi.getPaths() != null) {
                openApi.getPaths().forEach((path, admin) -> {
                    if (path.startsWith("/admin/")) {
                        admin.readOperations().forEach(op -> {
                            op.getResponses().addApiResponse("401", problem("No token, or an unknown one"));
                            op.getResponses().addApiResponse("403", problem("The token is not an admin token"));
                        });
                    }
                });
                openApi.getPaths().forEach((path, leases) -> {
                    if (path.startsWith("/leases")) {
                        leases.readOperations().forEach(op -> {
                            op.getResponses().putIfAbsent("401", problem("No token, or an unknown one"));
                            op.getResponses().putIfAbsent("403", problem("The token's role does not allow this"
                                    + " (GET: read, the others: write)"));
                        });
                    }
                });
                openApi.getPaths().forEach(OpenApiConfiguration::protectedModeResponses);
            }
        };
    }

    /**
     * What protected mode (no token configured) answers on every operation: 403 to a remote client or a web page of
     * another origin, 421 to a request addressed to a name other than loopback.
     */
    private static void protectedModeResponses(String path, PathItem item) {
        item.readOperations().forEach(op -> {
            ApiResponse forbidden = op.getResponses().get("403");
            if (forbidden != null) {
                forbidden.description(forbidden.getDescription() + ". With no token configured (protected mode):"
                        + " a client that is not on loopback (protected-mode), or a request a web page of another"
                        + " origin made through the browser (cross-site)");
            }
            Map<String, Object> example = new LinkedHashMap<>();
            example.put("type", "urn:kv-store:problem:host-not-loopback");
            example.put("title", "Host not loopback");
            example.put("status", 421);
            example.put("detail", "No token is configured, so this server answers only requests addressed to"
                    + " localhost, 127.0.0.1 or [::1], and this one was addressed to 'kv.attacker.example'. Any other"
                    + " name that leads here could be a web page's own (DNS rebinding). Use http://localhost:8080/,"
                    + " or configure a token (kv.security.tokens[0].token and kv.security.tokens[0].role, or the"
                    + " environment variables KV_SECURITY_TOKENS_0_TOKEN and KV_SECURITY_TOKENS_0_ROLE) and send it"
                    + " as 'Authorization: Bearer <token>'.");
            example.put("instance", path.replace("{key}", "greeting"));
            ApiResponse misdirected = problem("With no token configured (protected mode): the Host does not name"
                    + " loopback (localhost, 127.0.0.1 or [::1])");
            misdirected.getContent().get("application/problem+json").example(example);
            op.getResponses().addApiResponse("421", misdirected);
        });
    }

    private static ApiResponse problem(String description) {
        return new ApiResponse().description(description).content(new Content().addMediaType(
                "application/problem+json", new MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem"))));
    }

    private static PathParameter keyParameter() {
        PathParameter key = new PathParameter();
        key.name("key").description(KeyApi.KEY_DESCRIPTION).schema(new StringSchema()).example("greeting");
        return key;
    }
}
