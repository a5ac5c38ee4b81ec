package dev.zotune.kernels;

import static dev.zotune.kernels.GradCheck.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Attention#backward} and {@link Attention#jvp} against central and directional differences of a
 * float64 attention, the adjoint identity between them, null outputs, += semantics and threads; over causal,
 * padded bidirectional, grouped-query, sliding-window and cached-prefix (past &gt; 0) calls.
 */
class AttentionGradTest {
    /** One call's shape; cache rows at or past past + T, and keys the mask hides, hold NaN in k and v. */
    record Shape(int B, int T, int past, int cap, int nHeads, int nKv, int hd, int[] keyMask, boolean causal, int window) {
        float scale() { return (float) (1 / Math.sqrt(hd)); }

        @Override
        public String toString() {
            return "attention B" + B + " T" + T + " past" + past + " cap" + cap + " heads" + nHeads + "/" + nKv + " hd" + hd
                    + (keyMask != null ? " masked" : "") + (causal ? " causal" : "") + (window > 0 ? " window" + window : "");
        }

        boolean hidden(int b, int j) { return j >= past + T || (keyMask != null && keyMask[b * cap + j] == 0); }

        /** The float64 attention of the contract of {@link Attention}. */
        double[] reference(double[] q, double[] k, double[] v) {
            int group = nHeads / nKv, qStride = nHeads * hd, kvStride = nKv * hd;
            double[] out = new double[B * T * qStride];
            for (int b = 0; b < B; b++)
                for (int t = 0; t < T; t++)
                    for (int h = 0; h < nHeads; h++) {
                        int i = past + t, qo = (b * T + t) * qStride + h * hd, kvh = (h / group) * hd;
                        int lo = causal && window > 0 ? Math.max(0, i - window + 1) : 0, hi = causal ? i + 1 : past + T;
                        double[] s = new double[hi - lo];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = lo; j < hi; j++) {
                            if (hidden(b, j)) continue;
                            int ko = (b * cap + j) * kvStride + kvh;
                            for (int d = 0; d < hd; d++) s[j - lo] += q[qo + d] * k[ko + d];
                            s[j - lo] *= scale();
                            max = Math.max(max, s[j - lo]);
                        }
                        double z = 0;
                        for (int j = lo; j < hi; j++) if (!hidden(b, j)) z += Math.exp(s[j - lo] - max);
                        for (int j = lo; j < hi; j++) {
                            if (hidden(b, j)) continue;
                            double p = Math.exp(s[j - lo] - max) / z;
                            for (int d = 0; d < hd; d++) out[qo + d] += p * v[(b * cap + j) * kvStride + kvh + d];
                        }
                    }
            return out;
        }

        GradCheck.Op op(long seed) {
            Random rnd = new Random(seed);
            float[] q = gaussian(rnd, B * T * nHeads * hd), k = gaussian(rnd, B * cap * nKv * hd), v = gaussian(rnd, k.length);
            for (int b = 0; b < B; b++)
                for (int j = 0; j < cap; j++)
                    if (hidden(b, j)) {
                        Arrays.fill(k, (b * cap + j) * nKv * hd, (b * cap + j + 1) * nKv * hd, Float.NaN);
                        Arrays.fill(v, (b * cap + j) * nKv * hd, (b * cap + j + 1) * nKv * hd, Float.NaN);
                    }
            return new GradCheck.Op(toString(), new float[][] {q, k, v}, q.length, in -> reference(in[0], in[1], in[2]),
                    (dOut, g) -> Attention.backward(q, k, v, B, T, past, cap, nHeads, nKv, hd, keyMask, causal, window,
                            scale(), dOut, g[0], g[1], g[2]),
                    (t, ty) -> Attention.jvp(q, k, v, t[0], t[1], t[2], B, T, past, cap, nHeads, nKv, hd, keyMask, causal,
                            window, scale(), ty));
        }
    }

    /** Mask over caches of cap: sequence b hides its first left[b] and its keys from len − right[b] on. */
    private static int[] padding(int cap, int len, int[] left, int[] right) {
        int[] m = new int[left.length * cap];
        for (int b = 0; b < left.length; b++)
            for (int j = left[b]; j < len - right[b]; j++) m[b * cap + j] = 1;
        return m;
    }

    private static void check(Shape s, long seed) {
        GradCheck.check(s.op(seed), seed, 2e-5, 0);
    }

    @Test
    void causal() {
        for (int T : new int[] {1, 3, 7}) check(new Shape(2, T, 0, T, 2, 2, 5, null, true, 0), T);
        check(new Shape(1, 5, 0, 5, 2, 2, 64, null, true, 0), 64);
    }

    @Test
    void causalWithLeftPaddingHasQueriesThatSeeNothing() {
        check(new Shape(2, 7, 0, 7, 2, 2, 4, padding(7, 7, new int[] {0, 3}, new int[] {0, 0}), true, 0), 1);
    }

    @Test
    void bidirectionalWithPadding() {
        int[] mask = padding(5, 5, new int[] {0, 2, 0}, new int[] {0, 0, 3});
        check(new Shape(3, 5, 0, 5, 2, 2, 8, mask, false, 0), 2);
        check(new Shape(2, 7, 0, 7, 1, 1, 37, padding(7, 7, new int[] {1, 0}, new int[] {0, 2}), false, 0), 3);
    }

    @Test
    void groupedQueryHeads() {
        check(new Shape(2, 7, 0, 7, 4, 2, 16, null, true, 0), 4);
        check(new Shape(1, 3, 0, 3, 4, 1, 5, null, false, 0), 5);
    }

    @Test
    void slidingWindow() {
        check(new Shape(2, 9, 0, 9, 2, 1, 6, null, true, 3), 6);
        check(new Shape(1, 7, 4, 12, 4, 2, 5, null, true, 2), 7);
    }

    /** Prefix / cache keys at j &lt; past get gradients too; cap leaves unused rows, which stay untouched. */
    @Test
    void cachedPrefix() {
        int cap = 11, past = 5, T = 3;
        int[] mask = padding(cap, past + T, new int[] {0, 2}, new int[] {0, 0});
        check(new Shape(2, T, past, cap, 4, 2, 5, mask, true, 0), 8);
        check(new Shape(2, 1, 6, 9, 2, 2, 7, null, false, 0), 9);    // a decoding step over a cache
        check(new Shape(1, 7, 3, 12, 2, 1, 16, null, false, 0), 10);
    }

    @Test
    void hiddenAndUnusedCacheRowsGetNothing() {
        int cap = 11, past = 5, T = 3, B = 2, kvd = 2 * 8;
        int[] mask = padding(cap, past + T, new int[] {0, 2}, new int[] {0, 1});
        Shape s = new Shape(B, T, past, cap, 4, 2, 8, mask, true, 0);
        GradCheck.Op op = s.op(11);
        float[] dk = new float[B * cap * kvd], dv = new float[dk.length];
        Arrays.fill(dk, 7f);
        Arrays.fill(dv, 7f);
        op.backward().run(gaussian(new Random(12), op.outSize()), new float[][] {null, dk, dv});
        for (int b = 0; b < B; b++)
            for (int j = 0; j < cap; j++)
                for (int d = 0; d < kvd; d++) {
                    int i = (b * cap + j) * kvd + d;
                    if (s.hidden(b, j)) {
                        assertEquals(7f, dk[i], "dk of hidden key " + j + " of sequence " + b);
                        assertEquals(7f, dv[i], "dv of hidden key " + j + " of sequence " + b);
                    } else {
                        assertTrue(dk[i] != 7f && dv[i] != 7f, "visible key " + j + " of sequence " + b + " got a gradient");
                    }
                }
    }

    @Test
    void sameBitsOnAnyThreadCount() {
        int cap = 50, past = 5, T = 37;
        int[] mask = padding(cap, past + T, new int[] {0, 4}, new int[] {3, 0});
        GradCheck.checkThreads(new Shape(2, T, past, cap, 4, 2, 64, mask, true, 0).op(13), 13);
        GradCheck.checkThreads(new Shape(2, T, 0, T, 4, 2, 24, null, true, 8).op(14), 14);
        GradCheck.checkThreads(new Shape(3, T, 0, T, 2, 2, 16, padding(T, T, new int[] {0, 5, 1}, new int[] {2, 0, 0}),
                false, 0).op(15), 15);
    }
}
