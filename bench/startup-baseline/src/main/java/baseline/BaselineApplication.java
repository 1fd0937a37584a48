package baseline;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** One controller and Actuator's readiness probe: what any Spring Boot web service starts at least. */
@SpringBootApplication
@RestController
public class BaselineApplication {

    @GetMapping("/hello")
    String hello() {
        return "hello";
    }

    public static void main(String[] args) {
        SpringApplication.run(BaselineApplication.class, args);
    }
}
