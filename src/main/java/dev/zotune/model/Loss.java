package dev.zotune.model;

import dev.zotune.io.ZotuneException;

import dev.zotune.kernels.Ops;

/**
 * HF's language-model losses over logits [batch·seqLen, vocab]: mean cross-entropy over labels
 * != -100, shifted by one for causal LMs, unshifted for masked LMs. Sums run in double.
 */
public final class Loss {
    public static final int IGNORE = -100;

    private Loss() {}

    /** Causal LM: logits at t predict labels at t + 1. NaN when no label counts. */
    public static double causalLm(float[] logits, int batch, int seqLen, int vocab, int[] labels) {
        return meanCe(logits, batch, seqLen, vocab, labels, 1);
    }

    /** Masked LM: logits at t predict labels at t. */
    public static double maskedLm(float[] logits, int batch, int seqLen, int vocab, int[] labels) {
        return meanCe(logits, batch, seqLen, vocab, labels, 0);
    }

    /** log p(token | row) from the logits row {@code row}. */
    public static double logProb(float[] logits, int row, int vocab, int token) {
        return logits[row * vocab + token] - Ops.logSumExp(logits, row * vocab, vocab);
    }

    private static double meanCe(float[] logits, int batch, int seqLen, int vocab, int[] labels, int shift) {
        double sum = 0;
        int count = 0;
        for (int b = 0; b < batch; b++)
            for (int t = 0; t + shift < seqLen; t++) {
                int y = labels[b * seqLen + t + shift];
                if (y == IGNORE) continue;
                if (y < 0 || y >= vocab) throw new ZotuneException("labels: " + y + " is outside the vocabulary [0, " + vocab + ")");
                sum -= logProb(logits, b * seqLen + t, vocab, y);
                count++;
            }
        return count == 0 ? Double.NaN : sum / count;
    }
}
