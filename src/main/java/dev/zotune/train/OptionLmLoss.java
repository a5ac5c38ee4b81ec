package dev.zotune.train;

import dev.zotune.io.ZotuneException;
import dev.zotune.model.Loss;

import java.util.Arrays;

/**
 * Loss mode (b), the option-only LM loss: the batch holds each example's gold candidate as one
 * left-padded sequence; the loss is the token cross-entropy over the option tokens only, averaged
 * over all option tokens of the batch (HF's mean over labels ≠ −100).
 */
public final class OptionLmLoss implements LossHead {
    private final int rows, seqLen, vocab, tokens;
    private final int[] ids, start;

    /** @param ids the batch's input ids [rows, seqLen]; @param start per row, its first option position (≥ 1) */
    public OptionLmLoss(int seqLen, int vocab, int[] ids, int[] start) {
        if (ids.length != start.length * seqLen) throw new ZotuneException("option LM loss: the batch does not hold one row per example");
        int n = 0;
        for (int s : start) {
            if (s < 1 || s >= seqLen) throw new ZotuneException("option LM loss: option start " + s + " outside [1, " + seqLen + ")");
            n += seqLen - s;
        }
        this.rows = start.length;
        this.seqLen = seqLen;
        this.vocab = vocab;
        this.ids = ids.clone();
        this.start = start.clone();
        this.tokens = n;
    }

    @Override
    public double loss(float[] out, float[] dOut) {
        if (dOut != null) Arrays.fill(dOut, 0f);
        double sum = 0;
        for (int r = 0; r < rows; r++)
            for (int t = start[r]; t < seqLen; t++) {
                int row = r * seqLen + t - 1, y = ids[r * seqLen + t];
                sum -= TokenLogProbs.logProb(out, row, vocab, y);
                if (dOut != null) Loss.addLogProbGradient(out, row * vocab, vocab, y, -1.0 / tokens, dOut);
            }
        return sum / tokens;
    }
}
