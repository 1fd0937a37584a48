package dev.kvstore.store;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The engine is plain Java: it can be tested, fault-injected and benchmarked without Spring. */
class EngineArchitectureTest {

    @Test
    void theEngineImportsNoFrameworks() {
        noClasses().that().resideInAPackage("dev.kvstore.store..")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "io.micrometer..",
                        "jakarta..", "tools.jackson..", "com.fasterxml..", "dev.kvstore.api..", "dev.kvstore.ops..")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("dev.kvstore"));
    }
}
