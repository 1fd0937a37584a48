package dev.kvstore.store;

import java.util.List;

/**
 * The copies recovery set aside beside the log ({@code kvstore.log.torn-<time>} with the bytes a crash left,
 * {@code kvstore.log.corrupt-<time>} with the whole original before a repair), after this start pruned them (see
 * {@link DataDirectory#pruneCopies}).
 *
 * @param kept   the copies kept, newest first
 * @param pruned the names of the copies this start deleted
 */
public record SetAsideCopies(List<Copy> kept, List<String> pruned) {

    /** One kept copy. */
    public record Copy(String name, long bytes) {
    }

    public long keptBytes() {
        return kept.stream().mapToLong(Copy::bytes).sum();
    }
}
