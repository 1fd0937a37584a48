package dev.kvstore.store;

/** What an acknowledged write did. */
public enum WriteOutcome {
    CREATED, REPLACED, DELETED, NOT_FOUND
}
