package dev.zotune.task;

import dev.zotune.io.TextTokenizer;
import dev.zotune.io.ZotuneException;

import java.util.Arrays;

/**
 * The special tokens a tokenizer's post-processor puts around one text: BOS for Llama and OPT,
 * [CLS] … [SEP] for BERT, &lt;s&gt; … &lt;/s&gt; for RoBERTa. Found by encoding a probe text with and without
 * them, so no model family needs to be known here.
 */
record Specials(int[] head, int[] tail) {
    static Specials of(TextTokenizer tok) {
        int[] bare = tok.encode("a", false);
        int[] full = tok.encode("a", true);
        for (int k = 0; k + bare.length <= full.length; k++) {
            if (Arrays.equals(full, k, k + bare.length, bare, 0, bare.length))
                return new Specials(Arrays.copyOf(full, k), Arrays.copyOfRange(full, k + bare.length, full.length));
        }
        throw new ZotuneException(tok.source() + ": cannot tell the special tokens the tokenizer adds");
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /**
     * {@code ids} cut to {@code max} tokens by dropping tokens from the left, after the first
     * {@code keep} (the leading special tokens, so BOS stays first).
     */
    static int[] truncateLeft(int[] ids, int max, int keep) {
        if (ids.length <= max) return ids;
        if (max <= keep) throw new ZotuneException("max length " + max + " leaves no room after " + keep + " special tokens");
        return concat(Arrays.copyOf(ids, keep), Arrays.copyOfRange(ids, ids.length - (max - keep), ids.length));
    }
}
