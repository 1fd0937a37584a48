package dev.kvstore.api;

import dev.kvstore.problem.ProblemWriter;
import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Errors that never reach a handler (the container refusing a request, a failure in a filter) are forwarded to
 * {@code /error}; answering them here keeps every error {@code application/problem+json}, in place of Spring Boot's
 * default JSON shape. No exception text is shown: it is logged, not returned.
 */
@Hidden
@RestController
class ProblemErrorController implements ErrorController {

    @RequestMapping("${server.error.path:/error}")
    void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
        int status = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE) instanceof Integer c && c >= 400
                ? c : 500;
        if (response.isCommitted()) {
            // Part of an answer (a stream of events) went out already: no problem can follow it.
            return;
        }
        response.resetBuffer();
        byte[] body = ProblemWriter.plain(status, status >= 500
                ? "The server failed to handle the request; details are in its log."
                : "The request was refused: " + ProblemWriter.reasonPhrase(status) + ".",
                request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI) instanceof String uri ? uri : null);
        response.setStatus(status);
        response.setContentType(ProblemWriter.MEDIA_TYPE);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
