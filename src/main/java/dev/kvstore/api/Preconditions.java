package dev.kvstore.api;

import dev.kvstore.problem.ProblemType;
import dev.kvstore.store.Entry;
import dev.kvstore.store.Precondition;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 9110 conditional requests on a key, whose entity tag is its revision in quotes ({@code "42"}, always strong).
 * {@code If-Match} compares strongly, {@code If-None-Match} weakly; {@code *} matches any current value. For a write
 * both become one engine {@link Precondition}, tested on the writer thread against the state the write changes. A
 * header that is not a list of entity tags is a 400.
 */
final class Preconditions {

    /** {@code null} when the header is absent. */
    private final List<Tag> ifMatch;
    private final List<Tag> ifNoneMatch;

    private record Tag(boolean weak, String opaque) {
        static final Tag ANY = new Tag(false, "*");
    }

    private Preconditions(List<Tag> ifMatch, List<Tag> ifNoneMatch) {
        this.ifMatch = ifMatch;
        this.ifNoneMatch = ifNoneMatch;
    }

    static Preconditions of(HttpServletRequest request) {
        return new Preconditions(parse(request, "If-Match"), parse(request, "If-None-Match"));
    }

    static String etag(long revision) {
        return "\"" + revision + "\"";
    }

    boolean isEmpty() {
        return ifMatch == null && ifNoneMatch == null;
    }

    /** The precondition of a write: both headers must hold. */
    Precondition forWrite() {
        if (isEmpty()) {
            return Precondition.NONE;
        }
        List<Precondition> all = new ArrayList<>(2);
        if (ifMatch != null) {
            all.add(condition(ifMatch, true));
        }
        if (ifNoneMatch != null) {
            all.add(Precondition.not(condition(ifNoneMatch, false)));
        }
        return Precondition.allOf(all);
    }

    /** The engine's form of {@link #matches}: any of the tags matches the current entry. */
    private static Precondition condition(List<Tag> tags, boolean strong) {
        List<Precondition> any = new ArrayList<>(tags.size());
        for (Tag t : tags) {
            if (t == Tag.ANY) {
                return Precondition.ifExists();
            }
            if (!(strong && t.weak()) && isRevision(t.opaque())) {
                any.add(Precondition.ifRevision(Long.parseLong(t.opaque())));
            }
        }
        return Precondition.anyOf(any);
    }

    /** Whether {@code opaque} is a revision as {@link #etag} writes it: the decimal digits of a positive long. */
    private static boolean isRevision(String opaque) {
        if (opaque.isEmpty() || opaque.length() > 19 || opaque.charAt(0) == '0') {
            return false;
        }
        for (int i = 0; i < opaque.length(); i++) {
            if (opaque.charAt(i) < '0' || opaque.charAt(i) > '9') {
                return false;
            }
        }
        return opaque.length() < 19 || opaque.compareTo(Long.toString(Long.MAX_VALUE)) <= 0;
    }

    /** For a read: whether {@code If-Match} holds (else 412). */
    boolean ifMatchHolds(Entry current) {
        return ifMatch == null || matches(ifMatch, current, true);
    }

    /** For a read: whether {@code If-None-Match} matches the current entry, which makes the answer 304. */
    boolean notModified(Entry current) {
        return ifNoneMatch != null && matches(ifNoneMatch, current, false);
    }

    private static boolean matches(List<Tag> tags, Entry current, boolean strong) {
        if (current == null) {
            return false;
        }
        String revision = Long.toString(current.revision());
        for (Tag t : tags) {
            if (t == Tag.ANY || (t.opaque().equals(revision) && !(strong && t.weak()))) {
                return true;
            }
        }
        return false;
    }

    /** The entity tags of every {@code name} header, or {@code null} when there is none. */
    private static List<Tag> parse(HttpServletRequest request, String name) {
        if (request.getHeader(name) == null) {
            return null;
        }
        var headers = request.getHeaders(name);
        List<Tag> tags = new ArrayList<>();
        while (headers.hasMoreElements()) {
            String value = headers.nextElement().trim();
            if (value.equals("*")) {
                tags.add(Tag.ANY);
                continue;
            }
            parseList(name, value, tags);
        }
        return tags;
    }

    /** {@code #entity-tag}: {@code [W/]"opaque"} separated by commas, where opaque holds no {@code "}. */
    private static void parseList(String name, String value, List<Tag> tags) {
        int i = 0;
        int n = value.length();
        while (true) {
            while (i < n && (value.charAt(i) == ' ' || value.charAt(i) == '\t' || value.charAt(i) == ',')) {
                i++;
            }
            if (i == n) {
                break;
            }
            boolean weak = value.startsWith("W/", i);
            if (weak) {
                i += 2;
            }
            int close = i < n && value.charAt(i) == '"' ? value.indexOf('"', i + 1) : -1;
            if (close < 0) {
                throw new ApiProblem(ProblemType.INVALID_PRECONDITION, String.format(
                        "%s must be * or a list of entity tags such as \"42\" (with the quotes), not: %s",
                        name, value.length() > 80 ? value.substring(0, 80) + "..." : value));
            }
            tags.add(new Tag(weak, value.substring(i + 1, close)));
            i = close + 1;
        }
        if (tags.isEmpty()) {
            throw new ApiProblem(ProblemType.INVALID_PRECONDITION, name + " is empty.");
        }
    }
}
