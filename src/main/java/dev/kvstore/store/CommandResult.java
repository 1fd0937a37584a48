package dev.kvstore.store;

/** What a {@link Command} did: a {@link WriteResult} for a single write, a {@link BatchResult} for a batch. */
public sealed interface CommandResult permits WriteResult, BatchResult {

    /** The revision the command took, or 0 when it changed nothing. */
    long revision();
}
