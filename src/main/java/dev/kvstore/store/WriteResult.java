package dev.kvstore.store;

/**
 * The outcome of one write.
 *
 * @param entry    after {@code CREATED} or {@code REPLACED}: the new entry; after {@code DELETED}: the entry removed;
 *                 when nothing was written: the key's current entry, or {@code null}
 * @param revision the revision of the write, or 0 when nothing was written
 */
public record WriteResult(WriteOutcome outcome, Entry entry, long revision) implements CommandResult {
}
