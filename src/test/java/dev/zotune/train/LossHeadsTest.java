package dev.zotune.train;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each loss head against a direct double-precision formula in the test, and its dL/dout against
 * central finite differences of the head's own loss. Outputs are multiples of 2^-10 so x ± 2^-12
 * is exact in fp32 and the differences measure the loss, not rounding of the inputs.
 */
class LossHeadsTest {
    private static final double H = 1.0 / 4096;
    private final Random rnd = new Random(7);

    private float[] outputs(int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (rnd.nextInt(6144) - 3072) / 1024f;
        return out;
    }

    private static void checkGradient(LossHead head, float[] out) {
        float[] d = new float[out.length];
        double l = head.loss(out, d);
        assertEquals(l, head.loss(out, null), "the gradient leaves the value alone");
        for (int i = 0; i < out.length; i++) {
            float x = out[i];
            out[i] = (float) (x + H);
            double plus = head.loss(out, null);
            out[i] = (float) (x - H);
            double minus = head.loss(out, null);
            out[i] = x;
            double fd = (plus - minus) / (2 * H);
            assertEquals(fd, d[i], 1e-6 + 1e-5 * Math.abs(fd), "dL/dout[" + i + "]");
        }
        double norm = 0;
        for (float g : d) norm += Math.abs(g);
        assertTrue(norm > 1e-3, "a gradient that is not all zeros");
    }

    private static double logSoftmax(float[] out, int row, int width, int k) {
        double lse = 0;
        for (int v = 0; v < width; v++) lse += Math.exp(out[row * width + v]);
        return out[row * width + k] - Math.log(lse);
    }

    private static double ce(double[] s, int gold) {
        double z = 0;
        for (double v : s) z += Math.exp(v);
        return Math.log(z) - s[gold];
    }

    @Test
    void candidateClassificationOverMeanOptionLogProbs() {
        int T = 6, V = 9;
        int[] counts = {2, 3}, gold = {1, 0}, start = {3, 5, 1, 4, 2};
        int[] ids = new int[5 * T];
        for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(V);
        float[] out = outputs(5 * T * V);
        OptionLogProbLoss head = new OptionLogProbLoss(T, V, ids, start, counts, gold);

        double[] s = new double[5];
        for (int c = 0; c < 5; c++) {
            for (int t = start[c]; t < T; t++) s[c] += logSoftmax(out, c * T + t - 1, V, ids[c * T + t]);
            s[c] /= T - start[c];
        }
        double expected = (ce(new double[] {s[0], s[1]}, 1) + ce(new double[] {s[2], s[3], s[4]}, 0)) / 2;
        assertEquals(expected, head.loss(out, null), 1e-12);
        assertEquals(s[3], head.scores(out)[1][1], 1e-12);
        checkGradient(head, out);
    }

    @Test
    void optionLmLossCountsOnlyOptionTokens() {
        int T = 7, V = 11;
        int[] start = {4, 2, 6};
        int[] ids = new int[3 * T];
        for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(V);
        float[] out = outputs(3 * T * V);
        OptionLmLoss head = new OptionLmLoss(T, V, ids, start);

        double sum = 0;
        int n = 0;
        for (int r = 0; r < 3; r++)
            for (int t = start[r]; t < T; t++, n++) sum -= logSoftmax(out, r * T + t - 1, V, ids[r * T + t]);
        assertEquals(sum / n, head.loss(out, null), 1e-12);
        checkGradient(head, out);
        float[] d = new float[out.length];
        head.loss(out, d);
        for (int v = 0; v < V; v++) assertEquals(0f, d[(T + 0) * V + v], "row 0 of example 1 predicts no option token");
    }

    @Test
    void labelWordsAtTheMask() {
        int T = 5, V = 13;
        int[] maskRows = {3, T + 1}, gold = {0, 1};
        int[][] words = {{4, 9}, {4, 9}};
        float[] out = outputs(2 * T * V);
        LabelWordLoss head = new LabelWordLoss(V, maskRows, words, gold);
        double expected = (ce(new double[] {out[3 * V + 4], out[3 * V + 9]}, 0)
                + ce(new double[] {out[(T + 1) * V + 4], out[(T + 1) * V + 9]}, 1)) / 2;
        assertEquals(expected, head.loss(out, null), 1e-12);
        checkGradient(head, out);
    }

    @Test
    void classificationHeadRowsAndMultipleChoiceScores() {
        float[] rows = outputs(4 * 3);                      // [4 examples, 3 classes]
        ClassScoreLoss fixed = new ClassScoreLoss(new int[] {3, 3, 3, 3}, new int[] {2, 0, 1, 1});
        double expected = 0;
        int[] gold = {2, 0, 1, 1};
        for (int e = 0; e < 4; e++) expected += -logSoftmax(rows, e, 3, gold[e]);
        assertEquals(expected / 4, fixed.loss(rows, null), 1e-12);
        checkGradient(fixed, rows);

        float[] scores = outputs(5);                        // [5 candidate sequences, 1]
        ClassScoreLoss choice = new ClassScoreLoss(new int[] {2, 3}, new int[] {1, 2});
        assertEquals((ce(new double[] {scores[0], scores[1]}, 1) + ce(new double[] {scores[2], scores[3], scores[4]}, 2)) / 2,
                choice.loss(scores, null), 1e-12);
        checkGradient(choice, scores);
    }

    @Test
    void accuracyTakesTheFirstHighestScore() {
        ClassScoreLoss head = new ClassScoreLoss(new int[] {2, 2, 3}, new int[] {0, 1, 2});
        assertEquals(2, head.correct(new float[] {1, 1, 0, 2, 5, 5, 4}), "ties go to the first: 0 ✓, 1 ✓, 0 ✗");
    }
}
