package dev.zotune.train;

/**
 * log p(token | logits row) in double: the building block of the option-token losses (their
 * gradient is {@link dev.zotune.model.Loss#addLogProbGradient}). Rows are {@code vocab} wide in a
 * flat [rows, vocab] array.
 */
final class TokenLogProbs {
    private TokenLogProbs() {}

    /** log Σ_v exp(row_v), max-shifted, summed in order (so the same bits on every thread count). */
    static double logSumExp(float[] out, int row, int vocab) {
        int off = row * vocab;
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) max = Math.max(max, out[off + v]);
        if (max == Double.NEGATIVE_INFINITY || Double.isNaN(max)) return max;
        double sum = 0;
        for (int v = 0; v < vocab; v++) sum += Math.exp(out[off + v] - max);
        return max + Math.log(sum);
    }

    static double logProb(float[] out, int row, int vocab, int token) {
        return out[row * vocab + token] - logSumExp(out, row, vocab);
    }
}
