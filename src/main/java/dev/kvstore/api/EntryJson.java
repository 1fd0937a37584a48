package dev.kvstore.api;

import dev.kvstore.store.Entry;
import dev.kvstore.store.Value;
import java.io.IOException;
import java.io.OutputStream;

/**
 * An entry as the API answers it, {@code {"key":…,"type":…,"value":…,"revision":…,"createRevision":…}} and
 * {@code "lease":"…"} when the key has one, written
 * straight to UTF-8 bytes: the one shape every key answer has, without a mapper's reflection and intermediate
 * objects. The output is byte for byte Jackson's for the same members ({@code EntryJsonTest} compares them): strings
 * with Jackson's escapes, floats as {@link Double#toString}. A value larger than one chunk is streamed chunk by
 * chunk, so that a large value takes no buffer of its size.
 */
final class EntryJson {

    /** Answers up to this size are written whole, with a {@code Content-Length}. */
    static final int CHUNK = 8192;

    private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final OutputStream sink;
    private byte[] buf;
    private int n;

    private EntryJson(OutputStream sink, int size) {
        this.sink = sink;
        this.buf = new byte[size];
    }

    /** The whole answer when it fits in one chunk, else {@code null} (use {@link #stream}). */
    static byte[] small(String key, Entry entry) {
        if (estimate(key, entry) > CHUNK) {
            return null;
        }
        EntryJson out = new EntryJson(null, 128);
        try {
            out.entry(key, entry);
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
        return java.util.Arrays.copyOf(out.buf, out.n);
    }

    /** Writes the answer to {@code sink} a chunk at a time. */
    static void stream(OutputStream sink, String key, Entry entry) throws IOException {
        EntryJson out = new EntryJson(sink, CHUNK);
        out.entry(key, entry);
        out.flush();
    }

    private static long estimate(String key, Entry entry) {
        long value = entry.value() instanceof Value.Text t ? t.value().length() * 6L : 32;
        return 96 + key.length() * 6L + value;
    }

    private void entry(String key, Entry entry) throws IOException {
        ascii("{\"key\":");
        string(key);
        ascii(",\"type\":\"");
        ascii(entry.type().jsonName());
        ascii("\",\"value\":");
        Value value = entry.value();
        if (value instanceof Value.Text t) {
            string(t.value());
        } else if (value instanceof Value.Int i) {
            ascii(Long.toString(i.value()));
        } else {
            ascii(Double.toString(((Value.Float) value).value()));
        }
        ascii(",\"revision\":");
        ascii(Long.toString(entry.revision()));
        ascii(",\"createRevision\":");
        ascii(Long.toString(entry.createRevision()));
        if (entry.lease() != 0) {
            ascii(",\"lease\":\"");
            ascii(Long.toString(entry.lease()));
            put('"');
        }
        put('}');
    }

    private void ascii(String s) throws IOException {
        for (int i = 0; i < s.length(); i++) {
            put(s.charAt(i));
        }
    }

    /** A JSON string as Jackson writes it: {@code "} and {@code \} escaped, control characters short or as \\u00XX. */
    private void string(String s) throws IOException {
        put('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
                put(c);
            } else if (c < 0x80) {
                escape(c);
            } else if (c < 0x800) {
                put(0xC0 | c >> 6);
                put(0x80 | c & 0x3F);
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                put(0xF0 | cp >> 18);
                put(0x80 | cp >> 12 & 0x3F);
                put(0x80 | cp >> 6 & 0x3F);
                put(0x80 | cp & 0x3F);
            } else {
                put(0xE0 | c >> 12);
                put(0x80 | c >> 6 & 0x3F);
                put(0x80 | c & 0x3F);
            }
        }
        put('"');
    }

    private void escape(char c) throws IOException {
        put('\\');
        switch (c) {
            case '"', '\\' -> put(c);
            case '\n' -> put('n');
            case '\r' -> put('r');
            case '\t' -> put('t');
            case '\b' -> put('b');
            case '\f' -> put('f');
            default -> {
                put('u');
                put('0');
                put('0');
                put(HEX[c >> 4]);
                put(HEX[c & 0xF]);
            }
        }
    }

    private void put(int b) throws IOException {
        if (n == buf.length) {
            if (sink == null) {
                buf = java.util.Arrays.copyOf(buf, buf.length * 2);
            } else {
                flush();
            }
        }
        buf[n++] = (byte) b;
    }

    private void flush() throws IOException {
        sink.write(buf, 0, n);
        n = 0;
    }
}
