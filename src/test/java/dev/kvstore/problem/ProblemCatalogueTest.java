package dev.kvstore.problem;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The table of problem types in docs/api.md is the catalogue's, not a copy kept by hand. */
class ProblemCatalogueTest {

    /** The table as docs/api.md must show it, derived from {@link ProblemType}. */
    static String docsTable() {
        StringBuilder sb = new StringBuilder("| `type` | status | title | when |\n|---|---|---|---|\n");
        for (ProblemType t : ProblemType.values()) {
            sb.append("| `").append(t.uri()).append("` | ").append(t.status()).append(" | ").append(t.title())
                    .append(" | ").append(t.when()).append(" |\n");
        }
        return sb.toString();
    }

    @Test
    void theApiDocsShowTheCatalogue() throws Exception {
        String api = Files.readString(Path.of("docs/api.md"));
        assertThat(api).as("docs/api.md, Errors: replace the table of problem types with%n%s", docsTable())
                .contains(docsTable());
    }

    @Test
    void typesAreDistinctAndStatusesAreErrors() {
        Set<String> slugs = new HashSet<>();
        for (ProblemType t : ProblemType.values()) {
            assertThat(slugs.add(t.slug())).isTrue();
            assertThat(t.status()).isBetween(400, 599);
            assertThat(t.example("/x")).containsEntry("status", t.status()).containsEntry("title", t.title());
        }
    }
}
