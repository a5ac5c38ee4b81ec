package dev.zotune.model;

import dev.zotune.io.ZotuneException;

import dev.zotune.kernels.Ops;
import dev.zotune.train.LossHead;

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

    /**
     * HF's LM loss as a {@link LossHead}: mean cross-entropy over labels != −100 (shifted by one
     * when {@code causal}), with dL/dlogits = (softmax − onehot(label)) / count on counted rows.
     */
    public static LossHead lm(int batch, int seqLen, int vocab, int[] labels, boolean causal) {
        int shift = causal ? 1 : 0;
        return (logits, dOut) -> {
            double loss = meanCe(logits, batch, seqLen, vocab, labels, shift);
            if (dOut == null) return loss;
            int count = 0;
            for (int b = 0; b < batch; b++)
                for (int t = 0; t + shift < seqLen; t++) if (labels[b * seqLen + t + shift] != IGNORE) count++;
            for (int b = 0; b < batch; b++)
                for (int t = 0; t + shift < seqLen; t++) {
                    int y = labels[b * seqLen + t + shift];
                    if (y != IGNORE) addLogProbGradient(logits, (b * seqLen + t) * vocab, vocab, y, -1.0 / count, dOut);
                }
            return loss;
        };
    }

    /**
     * dOut[off..off+n) += scale · d log p(token)/d logits = scale · (onehot(token) − softmax), the
     * softmax taken in double against a max-shifted log-sum-exp summed in order (same bits on any
     * thread count). The one gradient of a log-probability every loss head uses.
     */
    public static void addLogProbGradient(float[] logits, int off, int n, int token, double scale, float[] dOut) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < n; v++) max = Math.max(max, logits[off + v]);
        double sum = 0;
        for (int v = 0; v < n; v++) sum += Math.exp(logits[off + v] - max);
        double lse = max + Math.log(sum);
        for (int v = 0; v < n; v++)
            dOut[off + v] += (float) (scale * ((v == token ? 1 : 0) - Math.exp(logits[off + v] - lse)));
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
