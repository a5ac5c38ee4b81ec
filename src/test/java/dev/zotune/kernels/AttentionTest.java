package dev.zotune.kernels;

import static dev.zotune.kernels.OpsTest.assertBits;
import static dev.zotune.kernels.OpsTest.random;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zotune.tensor.Parallel;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Attention} against {@link ScalarAttention} bit for bit, across thread counts, and against float64. */
class AttentionTest {
    private static final int THREADS = Parallel.threads();

    @AfterEach
    void restoreThreads() { Parallel.setThreads(THREADS); }

    /** One attention call's inputs; cache rows at or past past + T hold NaN, which must never be read. */
    record Case(int B, int T, int past, int cap, int nHeads, int nKv, int hd, int[] keyMask, boolean causal, int window,
                float[] q, float[] k, float[] v) {
        static Case of(long seed, int B, int T, int past, int cap, int nHeads, int nKv, int hd, int[] keyMask,
                       boolean causal, int window) {
            Random rnd = new Random(seed);
            float[] q = random(rnd, B * T * nHeads * hd, 1f), k = random(rnd, B * cap * nKv * hd, 1f);
            float[] v = random(rnd, B * cap * nKv * hd, 1f);
            for (int b = 0; b < B; b++)
                for (int j = 0; j < cap; j++)
                    if (j >= past + T || (keyMask != null && keyMask[b * cap + j] == 0))
                        Arrays.fill(v, (b * cap + j) * nKv * hd, (b * cap + j + 1) * nKv * hd, Float.NaN);
            return new Case(B, T, past, cap, nHeads, nKv, hd, keyMask, causal, window, q, k, v);
        }

        float scale() { return (float) (1 / Math.sqrt(hd)); }

        float[] run() {
            float[] out = new float[B * T * nHeads * hd];
            Arrays.fill(out, Float.NaN);
            Attention.forward(q, k, v, B, T, past, cap, nHeads, nKv, hd, keyMask, causal, window, scale(), out);
            return out;
        }

        float[] reference() {
            float[] out = new float[B * T * nHeads * hd];
            ScalarAttention.forward(q, k, v, B, T, past, cap, nHeads, nKv, hd, keyMask, causal, window, scale(), out);
            return out;
        }
    }

    private static void assertMatchesScalar(Case c, String what) {
        float[] ref = c.reference();
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            assertBits(ref, c.run(), what + ", threads " + threads);
        }
    }

    /** Mask of B sequences in a cache of cap: sequence b has `left[b]` hidden keys first, `right[b]` hidden keys last of len. */
    private static int[] padding(int cap, int len, int[] left, int[] right) {
        int[] m = new int[left.length * cap];
        for (int b = 0; b < left.length; b++)
            for (int j = left[b]; j < len - right[b]; j++) m[b * cap + j] = 1;
        return m;
    }

    @Test
    void causalWithPadding() {
        int T = 37;
        int[] mask = padding(T, T, new int[] {0, 5, 0}, new int[] {0, 0, 9});
        Case c = Case.of(1, 3, T, 0, T, 4, 4, 64, mask, true, 0);
        assertMatchesScalar(c, "causal+padding");
        float[] out = c.run();
        int row = 4 * 64;   // sequence 1's first 5 queries see nothing: zeros
        for (int t = 0; t < 5; t++)
            for (int i = 0; i < row; i++) assertEquals(0f, out[(T + t) * row + i], "masked query " + t);
    }

    @Test
    void groupedQueryHeadsAndOddHeadDims() {
        for (int hd : new int[] {1, 7, 20, 64, 100})
            for (int T : new int[] {1, 7, 37})
                assertMatchesScalar(Case.of(hd * 31L + T, 2, T, 0, T + 3, 6, 2, hd, null, false, 0), "GQA hd=" + hd + " T=" + T);
    }

    @Test
    void slidingWindow() {
        int T = 50;
        int[] mask = padding(T, T, new int[] {3, 0}, new int[] {0, 0});
        for (int window : new int[] {1, 5, 17})
            assertMatchesScalar(Case.of(window, 2, T, 0, T, 4, 2, 32, mask, true, window), "window " + window);
    }

    @Test
    void fullyMaskedSequenceGivesZeros() {
        int T = 9;
        int[] mask = padding(T, T, new int[] {0, T}, new int[] {0, 0});
        for (boolean causal : new boolean[] {false, true}) {
            Case c = Case.of(7, 2, T, 0, T, 2, 1, 16, mask, causal, 0);
            assertMatchesScalar(c, "fully masked, causal " + causal);
            float[] out = c.run();
            for (int i = T * 2 * 16; i < out.length; i++) assertEquals(0f, out[i]);
        }
    }

    /** Decoding with a KV cache (past > 0) reproduces the matching rows of one full forward exactly. */
    @Test
    void cachedDecodingEqualsFullForward() {
        int full = 40, cap = 48, nHeads = 6, nKv = 3, hd = 24, B = 2;
        int[] mask = padding(cap, full, new int[] {0, 6}, new int[] {0, 0});
        for (int window : new int[] {0, 7}) {
            Case all = Case.of(11, B, full, 0, cap, nHeads, nKv, hd, mask, true, window);
            float[] ref = all.run();
            assertBits(all.reference(), ref, "full forward");
            for (int past : new int[] {30, 39, 1}) {
                int T = full - past, qRow = nHeads * hd;
                float[] q = new float[B * T * qRow];
                for (int b = 0; b < B; b++) System.arraycopy(all.q(), (b * full + past) * qRow, q, b * T * qRow, T * qRow);
                Case step = new Case(B, T, past, cap, nHeads, nKv, hd, mask, true, window, q, all.k(), all.v());
                float[] out = step.run(), expected = new float[out.length];
                for (int b = 0; b < B; b++) System.arraycopy(ref, (b * full + past) * qRow, expected, b * T * qRow, T * qRow);
                assertBits(expected, out, "past " + past + " window " + window);
            }
        }
    }

    @Test
    void longCacheSingleQuery() {
        int len = 3000;
        assertMatchesScalar(Case.of(3, 1, 1, len - 1, len + 5, 4, 1, 64, null, true, 0), "decode at 3000");
        assertMatchesScalar(Case.of(4, 1, 260, 0, 260, 2, 2, 64, null, true, 0), "T=260");
    }

    @Test
    void closeToFloat64Attention() {
        Case c = Case.of(5, 2, 33, 0, 33, 3, 3, 40, padding(33, 33, new int[] {2, 0}, new int[] {0, 4}), true, 0);
        float[] out = c.run();
        int qs = c.nHeads() * c.hd(), kvs = c.nKv() * c.hd();
        for (int b = 0; b < c.B(); b++)
            for (int i = 0; i < c.T(); i++)
                for (int h = 0; h < c.nHeads(); h++) {
                    double[] s = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j <= i; j++) {
                        if (c.keyMask()[b * c.cap() + j] == 0) { s[j] = Double.NEGATIVE_INFINITY; continue; }
                        double d = 0;
                        for (int x = 0; x < c.hd(); x++) d += (double) c.q()[(b * c.T() + i) * qs + h * c.hd() + x] * c.k()[(b * c.cap() + j) * kvs + h * c.hd() + x];
                        s[j] = d * c.scale();
                        max = Math.max(max, s[j]);
                    }
                    for (int j = 0; j <= i; j++) sum += s[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(s[j] - max);
                    for (int x = 0; x < c.hd(); x++) {
                        double o = 0;
                        if (max > Double.NEGATIVE_INFINITY)
                            for (int j = 0; j <= i; j++)
                                if (s[j] > Double.NEGATIVE_INFINITY) o += Math.exp(s[j] - max) / sum * c.v()[(b * c.cap() + j) * kvs + h * c.hd() + x];
                        assertEquals(o, out[(b * c.T() + i) * qs + h * c.hd() + x], 2e-6, "b" + b + " i" + i + " h" + h);
                    }
                }
    }
}
