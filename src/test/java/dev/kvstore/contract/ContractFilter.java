package dev.kvstore.contract;

import static io.restassured.RestAssured.given;

import io.restassured.filter.Filter;
import io.restassured.filter.FilterContext;
import io.restassured.response.Response;
import io.restassured.specification.FilterableRequestSpecification;
import io.restassured.specification.FilterableResponseSpecification;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks every exchange the API tests make with rest-assured against the live OpenAPI document of the server they
 * talk to ({@code /v3/api-docs}, fetched once per server): a response must keep the contract, and a request the
 * document does not allow must be refused with a 4xx. Operations the document does not describe (actuator, Swagger
 * UI, a method a path does not have) and {@code HEAD} pass unchecked. Installed for every test by
 * {@link ContractExtension}.
 */
public final class ContractFilter implements Filter {

    static final ContractFilter INSTANCE = new ContractFilter();

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final Map<String, OpenApiContract> contracts = new ConcurrentHashMap<>();

    private ContractFilter() {
    }

    @Override
    public Response filter(FilterableRequestSpecification request, FilterableResponseSpecification responseSpec,
                           FilterContext context) {
        URI uri = URI.create(request.getURI());
        String path = uri.getRawPath();
        String method = request.getMethod();
        if (method.equals("HEAD") || path.startsWith("/v3/api-docs")) {
            return context.next(request, responseSpec);
        }
        OpenApiContract contract = contracts.computeIfAbsent(uri.getScheme() + "://" + uri.getHost() + ":"
                + uri.getPort(), ContractFilter::fetch);
        OpenApiContract.Operation op = contract.operation(method, path);
        Response response = context.next(request, responseSpec);
        if (op == null) {
            return response;
        }
        byte[] body = body(request.getBody());
        List<String> outside = body == null ? List.of() : contract.requestViolations(op, uri.getRawQuery(),
                request.getContentType(), body);
        int status = response.getStatusCode();
        List<String> broken = contract.responseViolations(op, status, response.getContentType(),
                response.asByteArray());
        if (!outside.isEmpty() && (status < 400 || status >= 500)) {
            throw new AssertionError(String.format("%s %s is outside the OpenAPI document (%s), yet it was answered"
                    + " %d", method, request.getURI(), String.join("; ", outside), status));
        }
        if (!broken.isEmpty()) {
            throw new AssertionError(String.format("%s %s answered %d, which breaks the OpenAPI document: %s%n%s",
                    method, request.getURI(), status, String.join("; ", broken), excerpt(response.asString())));
        }
        return response;
    }

    private static OpenApiContract fetch(String server) {
        URI base = URI.create(server);
        String document = given().noFilters().relaxedHTTPSValidation().baseUri(base.getScheme() + "://"
                + base.getHost()).port(base.getPort()).get("/v3/api-docs").then().statusCode(200).extract().asString();
        return new OpenApiContract(document);
    }

    /** The body as sent, or {@code null} when it cannot be known here (a stream, a file). */
    private static byte[] body(Object body) {
        if (body == null) {
            return new byte[0];
        }
        if (body instanceof byte[] bytes) {
            return bytes;
        }
        if (body instanceof String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        if (body instanceof Map<?, ?> || body instanceof List<?>) {
            return JSON.writeValueAsBytes(body);
        }
        return null;
    }

    private static String excerpt(String body) {
        return body.length() <= 500 ? body : body.substring(0, 500) + "...";
    }
}
