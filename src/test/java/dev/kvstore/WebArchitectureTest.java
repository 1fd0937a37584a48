package dev.kvstore;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.nameMatching;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The direction of the HTTP layer: web ({@code api}, {@code ops}) → {@code security} → configuration, with the problem
 * catalogue below both; the security package decides who may do what without knowing the web's classes, and the
 * engine ({@code store}, see {@code EngineArchitectureTest}) knows none of them.
 */
class WebArchitectureTest {

    private static final String CONFIG = "dev\\.kvstore\\.KvProperties(\\$.*)?";

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.kvstore");

    @Test
    void webThenSecurityThenConfiguration() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Wiring").definedBy(resideInAPackage("dev.kvstore").and(not(nameMatching(CONFIG))))
                .layer("Web").definedBy("dev.kvstore.api..", "dev.kvstore.ops..")
                .layer("Security").definedBy("dev.kvstore.security..")
                .layer("Problems").definedBy("dev.kvstore.problem..")
                .layer("Config").definedBy(nameMatching(CONFIG))
                .layer("Engine").definedBy("dev.kvstore.store..")
                .layer("Tool").definedBy("dev.kvstore.tool..")
                .whereLayer("Wiring").mayNotBeAccessedByAnyLayer()
                .whereLayer("Web").mayOnlyBeAccessedByLayers("Wiring")
                .whereLayer("Security").mayOnlyBeAccessedByLayers("Web", "Wiring")
                .whereLayer("Problems").mayOnlyBeAccessedByLayers("Web", "Security")
                .whereLayer("Config").mayOnlyBeAccessedByLayers("Wiring", "Web", "Security")
                .whereLayer("Tool").mayOnlyBeAccessedByLayers("Wiring")
                .whereLayer("Engine").mayOnlyBeAccessedByLayers("Wiring", "Web", "Config", "Tool")
                .check(CLASSES);
    }
}
