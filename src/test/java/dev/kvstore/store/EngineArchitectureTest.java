package dev.kvstore.store;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The engine is plain Java (it can be tested, fault-injected and benchmarked without Spring), and its public API is
 * this list: everything else in the package is an internal part behind {@link WalKeyValueStore}. A class made public
 * must be added here on purpose.
 */
class EngineArchitectureTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.kvstore");

    /** What other packages use (the web layer, ops, the offline tool, the configuration). */
    private static final Set<String> PUBLIC_API = Set.of(
            // the facade, how to open it, and what it reads and writes
            "WalKeyValueStore", "StoreOptions", "SyncMode", "CompactionPolicy", "StoreObserver", "Entry", "Value",
            "ValueType", "Precondition", "BatchOperation", "WriteResult", "WriteOutcome", "BatchResult", "Page",
            "Utf8",
            // what it reports
            "StoreStatus", "RecoveryReport", "Diagnosis", "SetAsideCopies", "CompactionResult", "CompactionStats",
            "Snapshot", "FrameDefect",
            // the offline tool's view of a log
            "LogInspector",
            // refusals and failures
            "InvalidEntryException", "StoreUnavailableException", "CompactionRunningException",
            "InsufficientSpaceException", "DataDirectoryLockedException", "LogException", "LogCorruptedException",
            "IncompatibleLogException", "InvalidSnapshotException",
            // a write as a value, and its bytes: what a replicated log carries (issue 15)
            "Command", "CommandResult", "CommandCodec", "MalformedCommandException",
            // the change feed (issue 16)
            "ChangeFeed", "ChangeEvent", "Change", "HistoryCompactedException",
            // what the HTTP layer reads and writes in either mode, and one replica of the cluster's state (issue 15)
            "KeyValueStore", "ReplicaStore",
            // leases and idempotency keys (issue 17)
            "KeyLease", "Lease", "LeaseResult", "LeaseOutcome", "LeaseStatus", "IdempotentResult", "IdempotencyOptions",
            "IdempotencyStatus");

    /** The facade's methods: one name per thing. */
    private static final Set<String> FACADE = Set.of("open", "get", "list", "put", "delete",
            "increment", "batch", "validateKey", "compact", "snapshot", "status", "revision", "size", "feed", "close",
            "execute", "idempotent", "grantLease", "keepLeaseAlive", "revokeLease", "lease", "startLeaseExpiry",
            "leaseStatus", "idempotencyStatus");

    @Test
    void theEngineImportsNoFrameworks() {
        noClasses().that().resideInAPackage("dev.kvstore.store..")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "io.micrometer..",
                        "jakarta..", "tools.jackson..", "com.fasterxml..", "dev.kvstore.api..", "dev.kvstore.ops..")
                .check(MAIN);
    }

    @Test
    void onlyThePublicApiIsPublic() {
        Set<String> publicClasses = MAIN.stream()
                .filter(c -> c.getPackageName().equals("dev.kvstore.store") && c.isTopLevelClass()
                        && c.getModifiers().contains(JavaModifier.PUBLIC))
                .map(JavaClass::getSimpleName).collect(Collectors.toSet());
        assertThat(publicClasses).containsExactlyInAnyOrderElementsOf(PUBLIC_API);
    }

    @Test
    void theFacadeIsSmall() {
        Set<String> methods = MAIN.get(WalKeyValueStore.class).getMethods().stream()
                .filter(m -> m.getModifiers().contains(JavaModifier.PUBLIC)).map(JavaMethod::getName)
                .collect(Collectors.toSet());
        assertThat(methods).containsExactlyInAnyOrderElementsOf(FACADE);
    }
}
