package dev.zotune.train;

import dev.zotune.io.ZotuneException;
import dev.zotune.model.Loss;

/**
 * Loss mode (a) for causal LMs: the batch holds every candidate of every example as one left-padded
 * sequence (row c of the batch is global candidate c); a candidate's score is the mean log-prob of
 * its option tokens, positions [start(c), seqLen), each predicted by the logits one position before.
 */
public final class OptionLogProbLoss extends CandidateLoss {
    private final int seqLen, vocab;
    private final int[] ids, start;

    /** @param ids the batch's input ids [candidates, seqLen]; @param start per candidate, its first option position (≥ 1) */
    public OptionLogProbLoss(int seqLen, int vocab, int[] ids, int[] start, int[] counts, int[] gold) {
        super(counts, gold);
        if (ids.length != candidates() * seqLen || start.length != candidates())
            throw new ZotuneException("option loss: the batch does not hold one row per candidate");
        for (int s : start)
            if (s < 1 || s >= seqLen) throw new ZotuneException("option loss: option start " + s + " outside [1, " + seqLen + ")");
        this.seqLen = seqLen;
        this.vocab = vocab;
        this.ids = ids.clone();
        this.start = start.clone();
    }

    @Override
    protected double score(float[] out, int c) {
        double sum = 0;
        for (int t = start[c]; t < seqLen; t++) sum += TokenLogProbs.logProb(out, c * seqLen + t - 1, vocab, ids[c * seqLen + t]);
        return sum / (seqLen - start[c]);
    }

    @Override
    protected void addScoreGradient(float[] out, int c, double g, float[] dOut) {
        double scale = g / (seqLen - start[c]);
        for (int t = start[c]; t < seqLen; t++) Loss.addLogProbGradient(out, (c * seqLen + t - 1) * vocab, vocab, ids[c * seqLen + t], scale, dOut);
    }
}
