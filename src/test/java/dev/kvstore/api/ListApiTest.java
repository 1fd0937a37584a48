package dev.kvstore.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kvstore.ApiTest;
import dev.kvstore.KeyPrefix;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * {@code GET /keys?prefix=&limit=&cursor=&keysOnly=} over a real port: pages in Unicode code point order, opaque
 * cursors that survive keys changing between pages, and strict refusal of anything else. Requests are sent with
 * {@link HttpClient} so that the query reaches the server exactly as written. Each test lists its own prefix.
 */
@ApiTest
class ListApiTest {

    /** Unicode code point order, which is UTF-8 byte order. */
    private static final Comparator<String> CODE_POINTS = (a, b) -> {
        int[] x = a.codePoints().toArray();
        int[] y = b.codePoints().toArray();
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (x[i] != y[i]) {
                return Integer.compare(x[i], y[i]);
            }
        }
        return Integer.compare(x.length, y.length);
    };

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @LocalServerPort
    int port;

    @KeyPrefix
    String own;

    // ---- helpers ----

    /** {@code s} percent-encoded as UTF-8, but for unreserved characters and {@code /}. */
    private static String encode(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~/".indexOf(c) >= 0) {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format("%02X", c));
            }
        }
        return sb.toString();
    }

    private Response put(String key, String json) {
        return given().port(port).urlEncodingEnabled(false).contentType("application/json").body(json)
                .put("/keys/" + encode(key));
    }

    /** Sets {@code key} to the integer {@code value}; returns its revision. */
    private long set(String key, long value) {
        Response r = put(key, "{\"type\":\"integer\",\"value\":" + value + "}");
        assertThat(r.statusCode()).as(key).isIn(200, 201);
        return r.jsonPath().getLong("revision");
    }

    /** Creates each key with an integer value, 100 to a batch; returns the batch's revision. */
    private long fill(List<String> keys) {
        long revision = 0;
        for (int from = 0; from < keys.size(); from += 100) {
            StringBuilder ops = new StringBuilder("{\"operations\":[");
            for (int i = from; i < Math.min(keys.size(), from + 100); i++) {
                ops.append(i == from ? "" : ",").append("{\"op\":\"set\",\"key\":\"").append(keys.get(i))
                        .append("\",\"type\":\"integer\",\"value\":").append(i).append('}');
            }
            Response r = given().port(port).contentType("application/json").body(ops.append("]}").toString())
                    .post("/batch");
            assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
            revision = r.jsonPath().getLong("revision");
        }
        return revision;
    }

    private void delete(String key) {
        given().port(port).urlEncodingEnabled(false).delete("/keys/" + encode(key)).then().statusCode(204);
    }

    /** GETs {@code target} (a path and query, as written). */
    private HttpResponse<String> get(String target) {
        try {
            return CLIENT.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + target)).GET().build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * The body of a 200 page of {@code target} without its last member, {@code revision}, which must be the
     * {@code X-Revision} header's (what it is is {@link #aPageCarriesTheRevisionItWasReadAt}'s subject).
     */
    private String listing(String target) {
        HttpResponse<String> r = get(target);
        assertThat(r.statusCode()).as(target + " -> " + r.body()).isEqualTo(200);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(",\"revision\":(\\d+)}$").matcher(r.body());
        assertThat(m.find()).as(r.body()).isTrue();
        assertThat(r.headers().firstValue("X-Revision")).as(target).hasValue(m.group(1));
        return r.body().substring(0, m.start()) + "}";
    }

    @Test
    void aPageCarriesTheRevisionItWasReadAt() {
        long r = set(own + "rev/a", 1);
        HttpResponse<String> first = get("/keys?prefix=" + own + "rev/");
        assertThat(first.headers().firstValue("X-Revision")).hasValue(Long.toString(r));
        assertThat(JsonPath.from(first.body()).getLong("revision")).isEqualTo(r);
        long r2 = set(own + "other", 2);
        assertThat(page("/keys?prefix=" + own + "rev/").getLong("revision")).isEqualTo(r2);
    }

    /** A 200 page of {@code target}. */
    private JsonPath page(String target) {
        HttpResponse<String> r = get(target);
        assertThat(r.statusCode()).as(target + " -> " + r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).as(target).hasValue("application/json");
        return JsonPath.from(r.body());
    }

    private List<String> keys(String target) {
        return page(target).getList("items.key", String.class);
    }

    /** Every key reached from {@code target} by following {@code next}, each page checked against {@code limit}. */
    private List<String> follow(String target, int limit) {
        List<String> all = new ArrayList<>();
        for (String next = target; next != null; ) {
            JsonPath p = page(next);
            List<String> keys = p.getList("items.key", String.class);
            assertThat(keys.size()).as(next).isLessThanOrEqualTo(limit);
            all.addAll(keys);
            next = p.getString("next");
            if (next != null) {
                assertThat(keys).as(next).hasSize(limit);
                assertThat(next).endsWith("&cursor=" + p.getString("cursor"));
            } else {
                assertThat(p.getString("cursor")).isNull();
            }
        }
        return all;
    }

    /** A 400 problem of type {@code slug}; the request line is sent as written, even when it is no valid URI. */
    private void assertProblem(String target, String slug) {
        RawHttp.Reply r;
        try {
            r = RawHttp.send(port, "GET", target, null, null);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(r.status()).as(target + " -> " + r.body()).isEqualTo(400);
        assertThat(r.head()).as(target).containsIgnoringCase("\r\nContent-Type: application/problem+json");
        JsonPath p = JsonPath.from(r.head().toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")
                ? dechunk(r.body()) : r.body());
        assertThat(p.getString("type")).as(target).isEqualTo("urn:kv-store:problem:" + slug);
        assertThat(p.getInt("status")).isEqualTo(400);
        assertThat(p.getString("detail")).as(target).isNotBlank();
    }

    /** The body of a chunked reply without its chunk framing. */
    private static String dechunk(String chunked) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int eol = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, eol).trim(), 16);
            if (size == 0) {
                return out.toString();
            }
            // The chunk size counts bytes; the problem bodies here are ASCII.
            out.append(chunked, eol + 2, eol + 2 + size);
            at = eol + 2 + size + 2;
        }
    }

    private static String base64url(byte... bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A format byte and a key, as a cursor holds them. */
    private static String base64url(byte format, String key) {
        byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[1 + utf8.length];
        bytes[0] = format;
        System.arraycopy(utf8, 0, bytes, 1, utf8.length);
        return base64url(bytes);
    }

    private static String entry(String key, String typeAndValue, long revision, long createRevision) {
        return "{\"key\":\"" + key + "\"," + typeAndValue + ",\"revision\":" + revision + ",\"createRevision\":"
                + createRevision + "}";
    }

    // ---- pages ----

    @Test
    void aPageHoldsTheEntriesWithValuesAndRevisionsAndNoCursorWhenItIsTheLast() {
        long r = set(own + "basic/c", 3);
        Response b = put(own + "basic/a", "{\"type\":\"string\",\"value\":\"x\"}");
        b.then().statusCode(201);
        put(own + "basic/b", "{\"type\":\"float\",\"value\":2.5}").then().statusCode(201);
        set(own + "basic/c", 4);
        assertThat(listing("/keys?prefix=" + own + "basic/")).isEqualTo("{\"items\":["
                + entry(own + "basic/a", "\"type\":\"string\",\"value\":\"x\"", r + 1, r + 1) + ","
                + entry(own + "basic/b", "\"type\":\"float\",\"value\":2.5", r + 2, r + 2) + ","
                + entry(own + "basic/c", "\"type\":\"integer\",\"value\":4", r + 3, r)
                + "],\"cursor\":null,\"next\":null}");
    }

    @Test
    void aPrefixWithNoKeysIsAnEmptyLastPage() {
        set(own + "empty", 1);
        assertThat(listing("/keys?prefix=" + own + "empty/"))
                .isEqualTo("{\"items\":[],\"cursor\":null,\"next\":null}");
        assertThat(listing("/keys?prefix=" + own + "nothing-here-at-all"))
                .isEqualTo("{\"items\":[],\"cursor\":null,\"next\":null}");
    }

    @Test
    void keysAreInCodePointOrderNotJavaStringOrder() {
        List<String> keys = List.of(own + "cp/😀", own + "cp/\uFFFD", own + "cp/z", own + "cp/\uE000", own + "cp/é",
                own + "cp/a", own + "cp/\uD7FF", own + "cp/\uD83D\uDE01", own + "cp/\uD800\uDC00");
        for (String k : keys) {
            set(k, 1);
        }
        List<String> expected = List.of(own + "cp/a", own + "cp/z", own + "cp/é", own + "cp/\uD7FF", own + "cp/\uE000",
                own + "cp/\uFFFD", own + "cp/\uD800\uDC00", own + "cp/😀", own + "cp/\uD83D\uDE01");
        // The point of the test: Java's String order would put the supplementary characters before U+E000.
        assertThat(keys.stream().sorted().toList()).isNotEqualTo(expected);
        assertThat(keys.stream().sorted(CODE_POINTS).toList()).isEqualTo(expected);

        assertThat(keys("/keys?prefix=" + own + "cp/")).containsExactlyElementsOf(expected);
        // Page by page, the cursor compares in the same order: nothing is skipped or repeated.
        assertThat(follow("/keys?prefix=" + own + "cp/&limit=1", 1)).containsExactlyElementsOf(expected);
        assertThat(follow("/keys?prefix=" + own + "cp/&limit=4", 4)).containsExactlyElementsOf(expected);
    }

    @Test
    void theWholeStoreIsListedInCodePointOrderWithoutAPrefix() {
        set(own + "\uFFFF-whole", 1);
        set(own + "\uD83D\uDE00-whole", 1);
        set(own + "0-whole", 1);
        List<String> all = follow("/keys?limit=7", 7);
        assertThat(all).contains(own + "\uFFFF-whole", own + "\uD83D\uDE00-whole", own + "0-whole")
                .doesNotHaveDuplicates()
                .isSortedAccordingTo(CODE_POINTS);
        // One page of up to 1000 is the first 1000 of the pages of 7 (the store is shared: it may hold more).
        assertThat(keys("/keys?limit=1000")).isEqualTo(all.subList(0, Math.min(all.size(), 1000)));
    }

    @Test
    void theDefaultLimitIs100AndTheNextUrlKeepsPrefixAndLimit() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            keys.add(own + String.format("many/%03d", i));
        }
        fill(keys);
        JsonPath first = page("/keys?prefix=" + own + "many/");
        assertThat(first.getList("items.key", String.class)).containsExactlyElementsOf(keys.subList(0, 100));
        String cursor = first.getString("cursor");
        assertThat(cursor).matches("[A-Za-z0-9_-]+");
        assertThat(first.getString("next")).isEqualTo("/keys?prefix=" + own + "many/&limit=100&cursor=" + cursor);
        // Without "next": the cursor passed by hand.
        assertThat(keys("/keys?prefix=" + own + "many/&cursor=" + cursor)).containsExactly(own + "many/100");
        JsonPath second = page(first.getString("next"));
        assertThat(second.getList("items.key", String.class)).containsExactly(own + "many/100");
        assertThat(second.getString("cursor")).isNull();
        assertThat(second.getString("next")).isNull();
        assertThat(keys("/keys?prefix=" + own + "many/&limit=1000")).containsExactlyElementsOf(keys);
    }

    @Test
    void aLastPageThatIsExactlyFullHasNoNext() {
        fill(List.of(own + "full/a", own + "full/b", own + "full/c", own + "full0"));
        JsonPath p = page("/keys?prefix=" + own + "full/&limit=3");
        assertThat(p.getList("items.key", String.class))
                .containsExactly(own + "full/a", own + "full/b", own + "full/c");
        assertThat(p.getString("cursor")).isNull();
        assertThat(p.getString("next")).isNull();
    }

    @Test
    void followingNextVisitsEveryKeyExactlyOnce() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            keys.add(own + "walk/" + Integer.toString(i * 7919 % 1000, 36));
        }
        fill(keys);
        fill(List.of(own + "walk", own + "walk0", own + "walj/x"));
        List<String> sorted = keys.stream().sorted(CODE_POINTS).toList();
        assertThat(follow("/keys?prefix=" + own + "walk/&limit=7", 7)).containsExactlyElementsOf(sorted);
        assertThat(follow("/keys?prefix=" + own + "walk/&limit=5", 5)).containsExactlyElementsOf(sorted);
        assertThat(follow("/keys?prefix=" + own + "walk/&limit=1", 1)).containsExactlyElementsOf(sorted);
    }

    @Test
    void keysDeletedOrAddedBetweenPagesDoNotBreakTheCursor() {
        fill(List.of(own + "chg/k1", own + "chg/k2", own + "chg/k3", own + "chg/k4", own + "chg/k5", own + "chg/k6"));
        JsonPath first = page("/keys?prefix=" + own + "chg/&limit=2");
        assertThat(first.getList("items.key", String.class)).containsExactly(own + "chg/k1", own + "chg/k2");
        // The key the cursor points at is deleted; a key before it and two after it are added.
        delete(own + "chg/k2");
        set(own + "chg/k0", 0);
        set(own + "chg/k25", 25);
        set(own + "chg/k7", 7);
        delete(own + "chg/k5");
        JsonPath second = page(first.getString("next"));
        assertThat(second.getList("items.key", String.class)).containsExactly(own + "chg/k25", own + "chg/k3");
        JsonPath third = page(second.getString("next"));
        assertThat(third.getList("items.key", String.class)).containsExactly(own + "chg/k4", own + "chg/k6");
        JsonPath fourth = page(third.getString("next"));
        assertThat(fourth.getList("items.key", String.class)).containsExactly(own + "chg/k7");
        assertThat(fourth.getString("next")).isNull();
    }

    @Test
    void aCursorPastEveryRemainingKeyGivesAnEmptyLastPage() {
        fill(List.of(own + "tail/a", own + "tail/b", own + "tail/c"));
        JsonPath first = page("/keys?prefix=" + own + "tail/&limit=2");
        delete(own + "tail/c");
        assertThat(listing(first.getString("next"))).isEqualTo("{\"items\":[],\"cursor\":null,\"next\":null}");
    }

    @Test
    void keysOnlyLeavesOutTheValueButKeepsTypeAndRevisions() {
        long r = set(own + "ko/a", 1);
        put(own + "ko/b", "{\"type\":\"string\",\"value\":\"long text\"}").then().statusCode(201);
        set(own + "ko/a", 2);
        assertThat(listing("/keys?prefix=" + own + "ko/&keysOnly=true")).isEqualTo("{\"items\":["
                + entry(own + "ko/a", "\"type\":\"integer\"", r + 2, r) + ","
                + entry(own + "ko/b", "\"type\":\"string\"", r + 1, r + 1) + "],\"cursor\":null,\"next\":null}");
        assertThat(listing("/keys?prefix=" + own + "ko/&keysOnly"))
                .isEqualTo(listing("/keys?prefix=" + own + "ko/&keysOnly=true"));
        assertThat(listing("/keys?prefix=" + own + "ko/&keysOnly=false")).isEqualTo("{\"items\":["
                + entry(own + "ko/a", "\"type\":\"integer\",\"value\":2", r + 2, r) + ","
                + entry(own + "ko/b", "\"type\":\"string\",\"value\":\"long text\"", r + 1, r + 1)
                + "],\"cursor\":null,\"next\":null}");
    }

    @Test
    void theNextUrlOfAKeysOnlyListingStaysKeysOnly() {
        fill(List.of(own + "kon/1", own + "kon/2", own + "kon/3"));
        JsonPath first = page("/keys?prefix=" + own + "kon/&limit=2&keysOnly=true");
        assertThat(first.getString("next")).isEqualTo("/keys?prefix=" + own + "kon/&limit=2&cursor="
                + first.getString("cursor")
                + "&keysOnly=true");
        String second = get(first.getString("next")).body();
        assertThat(second).startsWith("{\"items\":[{\"key\":\"" + own + "kon/3\",\"type\":\"integer\",\"revision\":")
                .doesNotContain("\"value\"");
    }

    // ---- encoding of the query ----

    @Test
    void aPercentEncodedNonAsciiPrefixWorksAndItsNextUrlIsEncodedToo() {
        fill(List.of(own + "\u043a\u043b\u044e\u0447/1", own + "\u043a\u043b\u044e\u0447/2",
                own + "\u043a\u043b\u044e\u0432", own + "\u043a\u043b\u044e\u0447 \u00fc/3"));
        String prefix = own + "%D0%BA%D0%BB%D1%8E%D1%87%2F";
        assertThat(keys("/keys?prefix=" + prefix)).containsExactly(own + "\u043a\u043b\u044e\u0447/1",
                own + "\u043a\u043b\u044e\u0447/2");
        JsonPath first = page("/keys?prefix=" + prefix + "&limit=1");
        assertThat(first.getString("next"))
                .startsWith("/keys?prefix=" + own + "%D0%BA%D0%BB%D1%8E%D1%87/&limit=1&cursor=");
        assertThat(keys(first.getString("next"))).containsExactly(own + "\u043a\u043b\u044e\u0447/2");
        assertThat(keys("/keys?prefix=" + own + "%D0%BA%D0%BB%D1%8E%D1%87%20%C3%BC")).containsExactly(
                own + "\u043a\u043b\u044e\u0447 \u00fc/3");
    }

    @Test
    void aPlusInTheQueryIsASpaceSoALiteralPlusIsPercent2B() {
        fill(List.of(own + "plus/a b", own + "plus/a+b", own + "plus/ab"));
        assertThat(keys("/keys?prefix=" + own + "plus/a+")).containsExactly(own + "plus/a b");
        assertThat(keys("/keys?prefix=" + own + "plus/a%20")).containsExactly(own + "plus/a b");
        assertThat(keys("/keys?prefix=" + own + "plus/a%2B")).containsExactly(own + "plus/a+b");
        assertThat(keys("/keys?prefix=" + own + "plus%2Fa%2b")).containsExactly(own + "plus/a+b");
        // The next URL encodes both, so following it lists the same prefix.
        JsonPath p = page("/keys?prefix=" + own + "plus/a&limit=1");
        assertThat(p.getString("next")).startsWith("/keys?prefix=" + own + "plus/a&limit=1&cursor=");
        JsonPath space = page("/keys?prefix=" + own + "plus/a%20&limit=1");
        assertThat(space.getString("next")).isNull();
        fill(List.of(own + "plus2/a+b1", own + "plus2/a+b2", own + "plus2/a b3"));
        JsonPath plus = page("/keys?prefix=" + own + "plus2/a%2Bb&limit=1");
        assertThat(plus.getString("next")).startsWith("/keys?prefix=" + own + "plus2/a%2Bb&limit=1&cursor=");
        assertThat(follow("/keys?prefix=" + own + "plus2/a%2Bb&limit=1", 1))
                .containsExactly(own + "plus2/a+b1", own + "plus2/a+b2");
        assertThat(follow("/keys?prefix=" + own + "plus2/a+b&limit=1", 1)).containsExactly(own + "plus2/a b3");
    }

    @Test
    void aPrefixWithReservedCharactersIsEncodedInTheNextUrl() {
        fill(List.of(own + "res/a&b=c%d?e#f/1", own + "res/a&b=c%d?e#f/2", own + "res/a&b=c%d?e#f/3", own + "res/a&b"));
        String prefix = own + "res/a%26b%3Dc%25d%3Fe%23f/";
        JsonPath first = page("/keys?prefix=" + prefix + "&limit=2");
        assertThat(first.getList("items.key", String.class))
                .containsExactly(own + "res/a&b=c%d?e#f/1", own + "res/a&b=c%d?e#f/2");
        assertThat(first.getString("next")).isEqualTo("/keys?prefix=" + prefix + "&limit=2&cursor="
                + first.getString("cursor"));
        assertThat(follow("/keys?prefix=" + prefix + "&limit=2", 2)).containsExactly(own + "res/a&b=c%d?e#f/1",
                own + "res/a&b=c%d?e#f/2", own + "res/a&b=c%d?e#f/3");
    }

    // ---- refusals ----

    @Test
    void aLimitOutsideOneToAThousandIs400InvalidQuery() {
        set(own + "lim/a", 1);
        for (String limit : new String[] {"0", "1001", "-1", "x", "", "1.5", "2147483648", "%31%30%30%31"}) {
            assertProblem("/keys?prefix=" + own + "lim/&limit=" + limit, "invalid-query");
        }
        assertThat(keys("/keys?prefix=" + own + "lim/&limit=1000")).containsExactly(own + "lim/a");
        assertThat(keys("/keys?prefix=" + own + "lim/&limit=1")).containsExactly(own + "lim/a");
    }

    @Test
    void anUnknownOrRepeatedParameterIs400InvalidQuery() {
        assertProblem("/keys?foo=1", "invalid-query");
        assertProblem("/keys?Prefix=a", "invalid-query");
        assertProblem("/keys?prefix=a&limit=1&limit=2", "invalid-query");
        assertProblem("/keys?prefix=a&prefix=b", "invalid-query");
        assertProblem("/keys?cursor=AWE&cursor=AWE", "invalid-query");
        assertProblem("/keys?keysOnly=yes", "invalid-query");
        assertProblem("/keys?keysOnly=TRUE", "invalid-query");
    }

    @Test
    void aRepeatedPrefixIsRefusedEvenWhenTheFirstOneIsEmpty() {
        set(own + "rep/a", 1);
        // Like prefix=a&prefix=b, limit=&limit=5 and cursor=&cursor=x, which are all refused.
        assertProblem("/keys?prefix=&prefix=" + own + "rep/", "invalid-query");
    }

    @Test
    void anInvalidPercentEncodingInTheQueryIs400InvalidQuery() {
        assertProblem("/keys?prefix=%zz", "invalid-query");
        assertProblem("/keys?prefix=%FF", "invalid-query");
        assertProblem("/keys?prefix=%C3%28", "invalid-query");
        assertProblem("/keys?prefix=abc%4", "invalid-query");
    }

    @Test
    void aMalformedCursorIs400InvalidCursor() {
        set(own + "cur/a", 1);
        String[] bad = {
                "!!!",
                "AAA=AAA",
                base64url("junk".getBytes(StandardCharsets.US_ASCII)),
                base64url((byte) 1),
                base64url((byte) 1, (byte) 0xFF, (byte) 0xFE),
                base64url((byte) 1, (byte) 0xED, (byte) 0xA0, (byte) 0x80),
                base64url((byte) 2, own + "cur/a"),
                // Standard base64 with its + and / is not base64url.
                "AWN1ci8-Pz8/",
        };
        for (String cursor : bad) {
            assertProblem("/keys?prefix=" + own + "cur/&cursor=" + cursor, "invalid-cursor");
        }
        // The same bytes in the cursor's own format work.
        assertThat(keys("/keys?prefix=" + own + "cur/&cursor=" + base64url((byte) 1, own + "cur/")))
                .containsExactly(own + "cur/a");
    }

    @Test
    void aCursorOfOnePrefixIsRefusedForAnother() {
        fill(List.of(own + "a/1", own + "a/2", own + "b/1", own + "b/2"));
        JsonPath a = page("/keys?prefix=" + own + "a/&limit=1");
        String cursor = a.getString("cursor");
        assertProblem("/keys?prefix=" + own + "b/&limit=1&cursor=" + cursor, "invalid-cursor");
        assertProblem("/keys?prefix=" + own + "a/1x&limit=1&cursor=" + cursor, "invalid-cursor");
        assertThat(keys("/keys?prefix=" + own + "a/&limit=1&cursor=" + cursor)).containsExactly(own + "a/2");
    }
}
