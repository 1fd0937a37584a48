package dev.kvstore.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.kvstore.store.BatchOperation;
import dev.kvstore.store.WriteResult;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** The answer to an applied batch. */
@Schema(name = "BatchResult", description = "An applied batch: its revision and each operation's outcome")
record BatchView(
        @Schema(description = "The batch's revision: every key it wrote has it", format = "int64", example = "18")
        long revision,
        @Schema(description = "One per operation, in order")
        List<Result> results) {

    @Schema(name = "BatchOperationResult")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Result(
            @Schema(allowableValues = {"set", "delete"}) String op,
            String key,
            @Schema(description = "created, replaced, deleted, not-found (a delete of a key with no value); in a"
                    + " refused batch: precondition-failed or lease-not-found, or aborted for an operation that was"
                    + " not the cause",
                    example = "replaced")
            String outcome,
            @Schema(description = "After a set: the key's new revision (the batch's). Otherwise the key's current"
                    + " revision, absent when it has no value", format = "int64", nullable = true)
            Long revision,
            @Schema(description = "After a set: the revision that created the key", format = "int64",
                    nullable = true)
            Long createRevision) {

        static Result of(BatchOperation op, WriteResult r) {
            var e = r.entry();
            boolean deleted = r.outcome() == dev.kvstore.store.WriteOutcome.DELETED;
            return new Result(op.isDelete() ? "delete" : "set", op.key(), BatchController.outcome(r),
                    e == null || deleted ? null : e.revision(), e == null || deleted ? null : e.createRevision());
        }
    }
}
