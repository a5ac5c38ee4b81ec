package dev.zotune.model;

import dev.zotune.io.ZotuneException;

import java.util.Arrays;

/**
 * A batch of token sequences, row-major [batch, seqLen]: ids, the attention mask (1 = real token,
 * 0 = padding) and, for encoders, token type ids (null = all zeros).
 */
public record Batch(int batch, int seqLen, int[] inputIds, int[] attentionMask, int[] tokenTypeIds) {
    public Batch {
        int n = batch * seqLen;
        if (batch <= 0 || seqLen <= 0) throw new ZotuneException("batch: empty input (" + batch + " × " + seqLen + ")");
        if (inputIds.length != n) throw new ZotuneException("batch: input_ids has " + inputIds.length + " values, expected " + n);
        if (attentionMask == null) {
            attentionMask = new int[n];
            Arrays.fill(attentionMask, 1);
        }
        if (attentionMask.length != n) throw new ZotuneException("batch: attention_mask has " + attentionMask.length + " values, expected " + n);
        if (tokenTypeIds != null && tokenTypeIds.length != n)
            throw new ZotuneException("batch: token_type_ids has " + tokenTypeIds.length + " values, expected " + n);
    }

    /** One unpadded sequence. */
    public static Batch of(int... ids) { return new Batch(1, ids.length, ids, null, null); }

    public int rows() { return batch * seqLen; }
}
