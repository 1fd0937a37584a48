package dev.kvstore.store;

import java.util.Comparator;

/**
 * Keys in Unicode code point order, which is also the order of their UTF-8 bytes. Java's {@link String#compareTo}
 * compares UTF-16 units instead, which puts characters above U+FFFF (surrogate pairs, D800-DFFF) before U+E000-FFFF.
 */
final class KeyOrder implements Comparator<String> {

    static final KeyOrder CODE_POINTS = new KeyOrder();

    private KeyOrder() {
    }

    @Override
    public int compare(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                if (x >= Character.MIN_SURROGATE && y >= Character.MIN_SURROGATE) {
                    return fixUp(x) - fixUp(y);
                }
                return x - y;
            }
        }
        return a.length() - b.length();
    }

    /** Moves surrogates above U+E000-FFFF and those below, as ICU's code point order for UTF-16 does. */
    private static int fixUp(char c) {
        return c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }
}
