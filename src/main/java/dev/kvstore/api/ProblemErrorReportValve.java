package dev.kvstore.api;

import dev.kvstore.problem.ProblemWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * Tomcat refuses some requests before any servlet sees them (a path with bad percent-encoding or UTF-8, say) and
 * renders them with its host's error report valve, as HTML. This valve renders them as RFC 9457
 * {@code application/problem+json} instead, with the same writer as every other problem, so that no client ever
 * has to parse an HTML error.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        String detail = status == 400
                ? "The request line is invalid: characters outside URI syntax must be percent-encoded, each % needs"
                + " two hex digits, and the path must decode to valid UTF-8 without NUL."
                : "The request was refused: " + ProblemWriter.reasonPhrase(status) + ".";
        try {
            response.setContentType(ProblemWriter.MEDIA_TYPE);
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(new String(ProblemWriter.plain(status, detail, null), StandardCharsets.UTF_8));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // The connection is gone or the response committed; nothing more can be told to the client.
        }
    }
}
