package dev.kvstore.store;

/**
 * Sorts replay's entries by key (unsigned bytes), eight bytes at a time: a radix sort of each entry's next 8-byte
 * word of key, then the same within every run of equal words, one word further on. Random keys are sorted after one
 * word; keys with a long common prefix cost one cheap pass per word of it. A comparison sort of a million keys
 * spent most of its time waiting on memory for each comparison.
 */
final class KeySort {

    /** Below this many entries, insertion sort. */
    private static final int SMALL = 24;
    private static final int RADIX_BITS = 8;
    private static final int BUCKETS = 1 << RADIX_BITS;
    private static final int PASSES = Long.SIZE / RADIX_BITS;

    private final ReplayTable table;
    private final int[] idx;
    private final long[] words;
    private final int[] idxTmp;
    private final long[] wordsTmp;

    private KeySort(int[] idx, ReplayTable table) {
        this.table = table;
        this.idx = idx;
        this.words = new long[idx.length];
        this.idxTmp = new int[idx.length];
        this.wordsTmp = new long[idx.length];
    }

    /** Sorts {@code idx}, entries of {@code table} with distinct keys, into key order. */
    static void sort(int[] idx, ReplayTable table) {
        new KeySort(idx, table).sort(0, idx.length, 0);
    }

    private void sort(int lo, int hi, int word) {
        if (hi - lo < SMALL) {
            insertionSort(lo, hi);
            return;
        }
        for (int i = lo; i < hi; i++) {
            words[i] = table.word(idx[i], word);
        }
        radixSort(lo, hi);
        for (int i = lo; i < hi; ) {
            int j = i + 1;
            while (j < hi && words[j] == words[i]) {
                j++;
            }
            if (j - i > 1) {
                sortRun(i, j, word);
            }
            i = j;
        }
    }

    /**
     * Entries {@code [lo, hi)} have the same word: those whose key ends within it are prefixes of the others, shorter
     * first; the others are sorted on by their next word.
     */
    private void sortRun(int lo, int hi, int word) {
        int end = 8 * (word + 1);
        int ended = lo;
        for (int i = lo; i < hi; i++) {
            if (table.keyLength(idx[i]) <= end) {
                int t = idx[ended];
                idx[ended++] = idx[i];
                idx[i] = t;
            }
        }
        for (int i = lo + 1; i < ended; i++) {
            int e = idx[i];
            int j = i - 1;
            while (j >= lo && table.keyLength(idx[j]) > table.keyLength(e)) {
                idx[j + 1] = idx[j];
                j--;
            }
            idx[j + 1] = e;
        }
        if (hi - ended > 1) {
            sort(ended, hi, word + 1);
        }
    }

    /** LSD radix sort of {@code [lo, hi)} by {@code words}, unsigned; digits that are the same everywhere are skipped. */
    private void radixSort(int lo, int hi) {
        int n = hi - lo;
        int[][] counts = new int[PASSES][BUCKETS];
        for (int i = lo; i < hi; i++) {
            long w = words[i];
            for (int p = 0; p < PASSES; p++) {
                counts[p][(int) (w >>> (RADIX_BITS * p)) & (BUCKETS - 1)]++;
            }
        }
        long[] ws = words;
        int[] is = idx;
        long[] wt = wordsTmp;
        int[] it = idxTmp;
        for (int p = 0; p < PASSES; p++) {
            int[] c = counts[p];
            int shift = RADIX_BITS * p;
            if (c[(int) (ws[lo] >>> shift) & (BUCKETS - 1)] == n) {
                continue;
            }
            for (int b = 0, sum = lo; b < BUCKETS; b++) {
                int k = c[b];
                c[b] = sum;
                sum += k;
            }
            for (int i = lo; i < hi; i++) {
                int d = (int) (ws[i] >>> shift) & (BUCKETS - 1);
                int to = c[d]++;
                wt[to] = ws[i];
                it[to] = is[i];
            }
            long[] sw = ws;
            ws = wt;
            wt = sw;
            int[] si = is;
            is = it;
            it = si;
        }
        if (ws != words) {
            System.arraycopy(ws, lo, words, lo, n);
            System.arraycopy(is, lo, idx, lo, n);
        }
    }

    private void insertionSort(int lo, int hi) {
        for (int i = lo + 1; i < hi; i++) {
            int e = idx[i];
            int j = i - 1;
            while (j >= lo && table.compare(idx[j], e) > 0) {
                idx[j + 1] = idx[j];
                j--;
            }
            idx[j + 1] = e;
        }
    }
}
