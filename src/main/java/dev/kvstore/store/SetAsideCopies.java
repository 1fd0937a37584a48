package dev.kvstore.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The copies recovery set aside beside the log ({@code kvstore.log.torn-<time>} with the bytes a crash left,
 * {@code kvstore.log.corrupt-<time>} with the whole original before a repair), after the start pruned them: the
 * newest ones are kept, at most {@code keepCopies} of them within {@code keepCopiesBytes}, and the copy made by this
 * very start always. Copies the offline tool's {@code repair} made ({@code orig-}) and files of other names are
 * never touched.
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

    static SetAsideCopies prune(LogStorage storage, Path log, int keepCopies, long keepCopiesBytes, Path madeNow)
            throws IOException {
        Pattern names = Pattern.compile(Pattern.quote(log.getFileName().toString())
                + "\\.(?:torn|corrupt)-(\\d{8}T\\d{6}\\.\\d{3}Z)(?:-(\\d+))?");
        Path dir = log.toAbsolutePath().getParent();
        List<Found> found = new ArrayList<>();
        for (String name : storage.list(dir)) {
            Matcher m = names.matcher(name);
            if (m.matches()) {
                found.add(new Found(name, m.group(1), m.group(2) == null ? 0 : Long.parseLong(m.group(2)),
                        storage.size(dir.resolve(name))));
            }
        }
        found.sort(Comparator.comparing(Found::stamp).thenComparingLong(Found::n).reversed());
        String now = madeNow == null ? null : madeNow.getFileName().toString();
        List<Copy> kept = new ArrayList<>();
        List<String> pruned = new ArrayList<>();
        long bytes = 0;
        for (Found f : found) {
            boolean fits = kept.size() < keepCopies && bytes + f.bytes() <= keepCopiesBytes;
            if (f.name().equals(now) || fits) {
                kept.add(new Copy(f.name(), f.bytes()));
                bytes += f.bytes();
            } else {
                storage.delete(dir.resolve(f.name()));
                pruned.add(f.name());
            }
        }
        return new SetAsideCopies(List.copyOf(kept), List.copyOf(pruned));
    }

    private record Found(String name, String stamp, long n, long bytes) {
    }
}
