package dev.zotune.train;

/**
 * A classification head's cross-entropy: output element c is global candidate c's score. That is
 * rows [examples, numClasses] for fixed labels, and rows [candidates, 1] (one score per candidate
 * sequence) for multiple-choice tasks with a one-output head.
 */
public final class ClassScoreLoss extends CandidateLoss {
    /** @param counts candidates per example (numClasses each for fixed labels) */
    public ClassScoreLoss(int[] counts, int[] gold) { super(counts, gold); }

    @Override
    protected double score(float[] out, int c) { return out[c]; }

    @Override
    protected void addScoreGradient(float[] out, int c, double g, float[] dOut) { dOut[c] += (float) g; }
}
