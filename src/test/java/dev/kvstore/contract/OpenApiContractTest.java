package dev.kvstore.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The contract check itself: it finds operations by template and catches what breaks a document. */
class OpenApiContractTest {

    private static final String DOC = """
            {"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{
              "/keys/{key}":{"get":{"parameters":[{"name":"key","in":"path","required":true,"schema":{"type":"string"}}],
                "responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Entry"}}}},
                             "404":{"description":"no","content":{"application/problem+json":{"schema":{"type":"object"}}}}}},
                "put":{"requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Entry"}}}},
                "responses":{"200":{"description":"ok"}}}},
              "/keys":{"get":{"parameters":[{"name":"limit","in":"query","schema":{"type":"integer","minimum":1,"maximum":10}}],
                "responses":{"200":{"description":"ok"}}}}},
             "components":{"schemas":{"Entry":{"type":"object","required":["type"],"properties":{
               "type":{"type":"string","enum":["integer"]},"value":{"type":"integer"},"cursor":{"type":["string","null"]}}}}}}
            """;

    private final OpenApiContract contract = new OpenApiContract(DOC);

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void findsOperationsByTemplateWithAKeyOfSeveralSegments() {
        assertThat(contract.operation("GET", "/keys/a/b/c").pathParameters()).containsEntry("key", "a/b/c");
        assertThat(contract.operation("GET", "/keys").pointer()).isEqualTo("/paths/~1keys/get");
        assertThat(contract.operation("DELETE", "/keys/a")).isNull();
        assertThat(contract.operation("GET", "/other")).isNull();
    }

    @Test
    void aResponseMustHaveADeclaredStatusMediaTypeAndSchema() {
        OpenApiContract.Operation get = contract.operation("GET", "/keys/k");
        assertThat(contract.responseViolations(get, 200, "application/json",
                utf8("{\"type\":\"integer\",\"value\":1,\"cursor\":null}"))).isEmpty();
        assertThat(contract.responseViolations(get, 200, "application/json",
                utf8("{\"type\":\"integer\",\"value\":\"1\"}"))).isNotEmpty();
        assertThat(contract.responseViolations(get, 200, "application/json", utf8("{\"value\":1}"))).isNotEmpty();
        assertThat(contract.responseViolations(get, 500, "application/problem+json", utf8("{}")))
                .containsExactly("status 500 is not documented");
        assertThat(contract.responseViolations(get, 404, "text/html", utf8("<html>"))).isNotEmpty();
        assertThat(contract.responseViolations(get, 200, "application/json", utf8("not json"))).isNotEmpty();
    }

    @Test
    void aRequestOutsideTheDocumentIsFound() {
        OpenApiContract.Operation put = contract.operation("PUT", "/keys/k");
        assertThat(contract.requestViolations(put, null, "application/json; charset=UTF-8",
                utf8("{\"type\":\"integer\",\"value\":1}"))).isEmpty();
        assertThat(contract.requestViolations(put, null, "application/json", utf8("{\"type\":\"float\"}")))
                .isNotEmpty();
        assertThat(contract.requestViolations(put, null, "text/plain", utf8("{\"type\":\"integer\"}"))).isNotEmpty();
        assertThat(contract.requestViolations(put, null, "application/json", new byte[0]))
                .containsExactly("the body is required");
        OpenApiContract.Operation list = contract.operation("GET", "/keys");
        assertThat(contract.requestViolations(list, "limit=5", null, new byte[0])).isEmpty();
        assertThat(contract.requestViolations(list, "limit=50", null, new byte[0])).isNotEmpty();
        assertThat(contract.requestViolations(list, "limit=x", null, new byte[0])).isNotEmpty();
    }
}
