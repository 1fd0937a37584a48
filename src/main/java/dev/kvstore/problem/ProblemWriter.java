package dev.kvstore.problem;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes RFC 9457 {@code application/problem+json}: the one writer of every error the service answers, used by the
 * API's handlers, the security filter, {@code /error} and the Tomcat valve. Members in RFC order ({@code type},
 * {@code title}, {@code status}, {@code detail}, {@code instance}), then the type's extension members.
 */
public final class ProblemWriter {

    public static final String MEDIA_TYPE = "application/problem+json";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ProblemWriter() {
    }

    /** A problem of one of the service's own types. */
    public static void write(HttpServletRequest request, HttpServletResponse response, ProblemType type,
                             String detail, Map<String, ?> extensions) throws IOException {
        send(response, type.status(), body(type.uri().toString(), type.title(), type.status(), detail,
                instance(request), extensions));
    }

    /** The body of a problem of one of the service's own types, for an answer that is not the response itself. */
    public static byte[] body(ProblemType type, String detail, String instance, Map<String, ?> extensions) {
        return body(type.uri().toString(), type.title(), type.status(), detail, instance, extensions);
    }

    /** A refusal without a type of its own ({@code about:blank}): the title is the status's reason phrase. */
    public static void writePlain(HttpServletRequest request, HttpServletResponse response, int status, String detail)
            throws IOException {
        send(response, status, plain(status, detail, instance(request)));
    }

    /** The body of an {@code about:blank} problem; {@code instance} may be {@code null}. */
    public static byte[] plain(int status, String detail, String instance) {
        return body("about:blank", reasonPhrase(status), status, detail, instance, Map.of());
    }

    public static String reasonPhrase(int status) {
        HttpStatus known = HttpStatus.resolve(status);
        return known == null ? "Error" : known.getReasonPhrase();
    }

    private static byte[] body(String type, String title, int status, String detail, String instance,
                               Map<String, ?> extensions) {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", type);
        problem.put("title", title);
        problem.put("status", status);
        problem.put("detail", detail);
        if (instance != null) {
            problem.put("instance", instance);
        }
        problem.putAll(extensions);
        return JSON.writeValueAsBytes(problem);
    }

    private static String instance(HttpServletRequest request) {
        return request == null ? null : request.getRequestURI();
    }

    private static void send(HttpServletResponse response, int status, byte[] body) throws IOException {
        response.setStatus(status);
        response.setContentType(MEDIA_TYPE);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
