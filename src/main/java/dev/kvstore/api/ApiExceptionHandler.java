package dev.kvstore.api;

import dev.kvstore.cluster.ClusterUnavailableException;
import dev.kvstore.problem.ProblemWriter;
import dev.kvstore.security.Access;
import dev.kvstore.store.CompactionRunningException;
import dev.kvstore.store.InsufficientSpaceException;
import dev.kvstore.store.InvalidEntryException;
import dev.kvstore.store.StoreUnavailableException;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponse;
import org.springframework.web.HttpMediaTypeException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.ServletRequestBindingException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.NoHandlerFoundException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * Refusals of the routes Spring MVC dispatches (listing, batch, admin), answered by the same writer as every other
 * problem: the API's and the engine's through {@link ApiErrors}, Spring MVC's own (unknown route 404, 405 with
 * {@code Allow}, 406, 415) as {@code about:blank} with the status's reason phrase.
 */
@RestControllerAdvice
class ApiExceptionHandler {

    @ExceptionHandler({ApiProblem.class, InvalidEntryException.class, StoreUnavailableException.class,
            Access.OutOfScopeException.class, CompactionRunningException.class, InsufficientSpaceException.class,
            ClusterUnavailableException.class})
    void refused(RuntimeException e, HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!ApiErrors.answer(request, response, e)) {
            throw e;
        }
    }

    @ExceptionHandler({NoResourceFoundException.class, NoHandlerFoundException.class,
            HttpRequestMethodNotSupportedException.class, HttpMediaTypeException.class,
            ServletRequestBindingException.class})
    void mvcRefusal(ServletException e, HttpServletRequest request, HttpServletResponse response) throws IOException {
        ErrorResponse refusal = (ErrorResponse) e;
        refusal.getHeaders().forEach((name, values) -> values.forEach(v -> response.addHeader(name, v)));
        ProblemDetail body = refusal.getBody();
        ProblemWriter.writePlain(request, response, refusal.getStatusCode().value(), body.getDetail());
    }
}
