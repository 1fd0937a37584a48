package dev.kvstore.cluster;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The Raft plumbing is plain Java over Ratis: no Spring, no web layer, and it does not reach into the engine. */
class ClusterArchitectureTest {

    @Test
    void theRaftPlumbingImportsNoFrameworkAndNoOtherLayer() {
        noClasses().that().resideInAPackage("dev.kvstore.cluster")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "jakarta..",
                        "tools.jackson..", "com.fasterxml..", "io.micrometer..", "dev.kvstore.api..",
                        "dev.kvstore.ops..", "dev.kvstore.security..", "dev.kvstore.store..")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("dev.kvstore"));
    }
}
