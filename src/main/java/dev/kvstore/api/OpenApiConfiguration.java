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
                            + " this, or protected mode refuses a remote client"));
                });
                openApi.getPaths().addPathItem("/keys/{key}", item);
            }
            if (openApi.getPaths() != null) {
                openApi.getPaths().forEach((path, admin) -> {
                    if (path.startsWith("/admin/")) {
                        admin.readOperations().forEach(op -> {
                            op.getResponses().addApiResponse("401", problem("No token, or an unknown one"));
                            op.getResponses().addApiResponse("403", problem("The token is not an admin token,"
                                    + " or protected mode refuses a remote client"));
                        });
                    }
                });
            }
        };
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
