package dev.kvstore.api;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.parameters.PathParameter;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    @Bean
    OpenAPI kvStoreOpenApi() {
        return new OpenAPI().info(new Info().title("KV-Store").version("v1")
                .description("A crash-safe, persistent key-value store of typed values (string, 64-bit integer,"
                        + " 64-bit float). Every error is RFC 9457 application/problem+json."));
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
                item.readOperations().forEach(op -> op.addParametersItem(keyParameter()));
                openApi.getPaths().addPathItem("/keys/{key}", item);
            }
        };
    }

    private static PathParameter keyParameter() {
        PathParameter key = new PathParameter();
        key.name("key").description(KeyApi.KEY_DESCRIPTION).schema(new StringSchema()).example("greeting");
        return key;
    }
}
