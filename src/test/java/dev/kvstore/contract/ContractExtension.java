package dev.kvstore.contract;

import io.restassured.RestAssured;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Puts {@link ContractFilter} in front of every rest-assured request of every test class: registered for all tests
 * through {@code META-INF/services} and {@code junit.jupiter.extensions.autodetection.enabled}, so that no test has
 * to remember it.
 */
public final class ContractExtension implements BeforeAllCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        if (!RestAssured.filters().contains(ContractFilter.INSTANCE)) {
            RestAssured.filters(ContractFilter.INSTANCE);
        }
    }
}
