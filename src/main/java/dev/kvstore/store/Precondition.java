package dev.kvstore.store;

/**
 * A condition on a key's current entry ({@code null} when it has none) that a write needs to go ahead. It is tested
 * on the writer thread, against the state the write would change, so a write that passes it cannot overwrite a
 * change it did not see. It must be quick and must not throw.
 */
@FunctionalInterface
public interface Precondition {

    Precondition NONE = current -> true;

    boolean test(Entry current);

    /** The key's last change has this revision. */
    static Precondition ifRevision(long revision) {
        return current -> current != null && current.revision() == revision;
    }

    /** The key has no value. */
    static Precondition ifAbsent() {
        return current -> current == null;
    }

    /** The key has a value. */
    static Precondition ifExists() {
        return current -> current != null;
    }
}
