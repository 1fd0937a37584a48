package dev.kvstore;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.condition.ConditionEvaluationReport;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.task.TaskExecutor;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.web.multipart.MultipartResolver;

/**
 * Start-up leaves out the auto-configurations the service does not use (application.properties): this checks that
 * they are really gone, and that what they would have touched still answers as the API says (the rest of the
 * {@link ApiTest} classes show the service serves everything else on the same context).
 */
@ApiTest
class StartupExclusionsTest {

    private static final List<String> LEFT_OUT = List.of(
            "org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration",
            "org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration",
            "org.springframework.boot.micrometer.metrics.autoconfigure.task.TaskExecutorMetricsAutoConfiguration",
            "org.springframework.boot.micrometer.observation.autoconfigure.ScheduledTasksObservationAutoConfiguration",
            "org.springframework.boot.servlet.autoconfigure.MultipartAutoConfiguration");

    @Autowired
    ConfigurableApplicationContext context;

    @LocalServerPort
    int port;

    @KeyPrefix
    String own;

    @Test
    void theUnusedAutoConfigurationsAreLeftOut() {
        ConditionEvaluationReport report = ConditionEvaluationReport.get(context.getBeanFactory());
        assertThat(report.getExclusions()).containsAll(LEFT_OUT);
        assertThat(context.getBeanNamesForType(TaskExecutor.class)).isEmpty();
        assertThat(context.getBeanNamesForType(TaskScheduler.class)).isEmpty();
        assertThat(context.getBeanNamesForType(MultipartResolver.class)).isEmpty();
        assertThat(context.containsBean("error")).as("the whitelabel error view").isFalse();
    }

    @Test
    void withoutTomcatsWebSocketContainer() {
        assertThat(getClass().getClassLoader().getResource("org/apache/tomcat/websocket/server/WsSci.class")).isNull();
    }

    @Test
    void aMultipartBodyIsRefusedAsAnUnsupportedMediaTypeAndWritesNothing() {
        given().port(port).multiPart("value", "x").put("/keys/" + own + "multipart").then().statusCode(415)
                .contentType(startsWith("application/problem+json"));
        given().port(port).get("/keys/" + own + "multipart").then().statusCode(404);
    }

    @Test
    void anUnknownPathIsAProblemEvenForABrowser() {
        given().port(port).accept("text/html").get("/no-such-page").then().statusCode(404)
                .contentType(startsWith("application/problem+json")).body("status", equalTo(404));
    }
}
