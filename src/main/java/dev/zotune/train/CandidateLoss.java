package dev.zotune.train;

import dev.zotune.io.ZotuneException;

import java.util.Arrays;

/**
 * Cross-entropy over each example's candidates, from one score per candidate read off the output
 * rows: the mean over examples of logsumexp(s) − s_gold (ZO-BENCH.md §3, loss mode (a) and its
 * encoder forms). Candidates are numbered globally: example e owns [first(e), first(e + 1)).
 * The same scores give the evaluation's prediction: the first argmax.
 */
public abstract class CandidateLoss implements LossHead {
    private final int[] first;
    private final int[] gold;

    /** @param counts candidates per example; @param gold the right candidate's index within its example */
    protected CandidateLoss(int[] counts, int[] gold) {
        if (counts.length != gold.length || counts.length == 0)
            throw new ZotuneException("candidate loss: " + counts.length + " candidate counts for " + gold.length + " examples");
        first = new int[counts.length + 1];
        for (int e = 0; e < counts.length; e++) {
            if (gold[e] < 0 || gold[e] >= counts[e])
                throw new ZotuneException("candidate loss: gold " + gold[e] + " outside " + counts[e] + " candidates");
            first[e + 1] = first[e] + counts[e];
        }
        this.gold = gold.clone();
    }

    public int examples() { return gold.length; }

    public int candidates() { return first[gold.length]; }

    /** The score of global candidate {@code c}. */
    protected abstract double score(float[] out, int c);

    /** dOut += g · d score(c)/d out. */
    protected abstract void addScoreGradient(float[] out, int c, double g, float[] dOut);

    /** Every candidate's score, per example. */
    public double[][] scores(float[] out) {
        double[][] s = new double[gold.length][];
        for (int e = 0; e < gold.length; e++) {
            s[e] = new double[first[e + 1] - first[e]];
            for (int c = 0; c < s[e].length; c++) s[e][c] = score(out, first[e] + c);
        }
        return s;
    }

    /** How many examples have their gold candidate as the first highest score. */
    public int correct(float[] out) {
        int n = 0;
        double[][] s = scores(out);
        for (int e = 0; e < s.length; e++) {
            int best = 0;
            for (int c = 1; c < s[e].length; c++) if (s[e][c] > s[e][best]) best = c;
            if (best == gold[e]) n++;
        }
        return n;
    }

    /** Mean cross-entropy over examples; with {@code dOut}, its gradient (dL/ds_c = (softmax(s)_c − [c = gold]) / examples). */
    @Override
    public double loss(float[] out, float[] dOut) {
        if (dOut != null) Arrays.fill(dOut, 0f);
        double[][] s = scores(out);
        double total = 0;
        for (int e = 0; e < s.length; e++) {
            double max = Arrays.stream(s[e]).max().orElseThrow(), sum = 0;
            for (double v : s[e]) sum += Math.exp(v - max);
            double lse = max + Math.log(sum);
            total += lse - s[e][gold[e]];
            if (dOut != null)
                for (int c = 0; c < s[e].length; c++)
                    addScoreGradient(out, first[e] + c, (Math.exp(s[e][c] - lse) - (c == gold[e] ? 1 : 0)) / s.length, dOut);
        }
        return total / s.length;
    }
}
