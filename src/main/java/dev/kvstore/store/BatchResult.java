package dev.kvstore.store;

import java.util.List;

/**
 * The outcome of a batch: applied as a whole under {@code revision}, or not at all.
 *
 * @param results     one per operation, in order. When applied: {@code CREATED}, {@code REPLACED}, {@code DELETED},
 *                    or {@code NOT_FOUND} for a delete of a key with no value. When not: {@code PRECONDITION_FAILED}
 *                    for each operation whose precondition failed, {@code ABORTED} for the others, and the key's
 *                    current entry for every one
 * @param failedIndex the first operation whose precondition failed, or -1
 */
public record BatchResult(boolean applied, long revision, List<WriteResult> results, int failedIndex)
        implements CommandResult {

    public BatchResult {
        results = List.copyOf(results);
    }
}
