package dev.zotune.train;

import dev.zotune.io.ZotuneException;

import java.util.Arrays;

/**
 * Prompt-based masked-LM classification (LM-BFF, MeZO's RoBERTa setting): a candidate's score is
 * the logit of its label word at its example's mask position; cross-entropy over the label words.
 */
public final class LabelWordLoss extends CandidateLoss {
    private final int vocab;
    private final int[] row, word;

    /**
     * @param maskRows  per example, the output row of its mask token (example · seqLen + position)
     * @param labelWords per example, its candidates' label word ids
     */
    public LabelWordLoss(int vocab, int[] maskRows, int[][] labelWords, int[] gold) {
        super(Arrays.stream(labelWords).mapToInt(w -> w.length).toArray(), gold);
        this.vocab = vocab;
        this.row = new int[candidates()];
        this.word = new int[candidates()];
        int c = 0;
        for (int e = 0; e < labelWords.length; e++)
            for (int w : labelWords[e]) {
                if (w < 0 || w >= vocab) throw new ZotuneException("label word id " + w + " is outside the vocabulary [0, " + vocab + ")");
                row[c] = maskRows[e];
                word[c++] = w;
            }
    }

    @Override
    protected double score(float[] out, int c) { return out[row[c] * vocab + word[c]]; }

    @Override
    protected void addScoreGradient(float[] out, int c, double g, float[] dOut) { dOut[row[c] * vocab + word[c]] += (float) g; }
}
