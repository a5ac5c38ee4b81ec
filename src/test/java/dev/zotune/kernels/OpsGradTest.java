package dev.zotune.kernels;

import static dev.zotune.kernels.GradCheck.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Backward and JVP of the {@link Ops} kernels against float64 references of their forwards (central and
 * directional differences), the adjoint identity between them, null outputs, += semantics and threads.
 */
class OpsGradTest {
    private static final int[] ROWS = {1, 3, 7};
    private static final int[] DIMS = {1, 5, 37, 64};
    private static final int[] SIZES = {1, 5, 37, 64, 100};

    // ---- float64 references of the forwards ----

    static double[] layerNorm(double[] x, double[] w, double[] b, int rows, int dim, double eps) {
        double[] y = new double[rows * dim];
        for (int r = 0; r < rows; r++) {
            double mean = 0, var = 0;
            for (int i = 0; i < dim; i++) mean += x[r * dim + i] / dim;
            for (int i = 0; i < dim; i++) var += (x[r * dim + i] - mean) * (x[r * dim + i] - mean) / dim;
            double rstd = 1 / Math.sqrt(var + eps);
            for (int i = 0; i < dim; i++) y[r * dim + i] = (x[r * dim + i] - mean) * rstd * w[i] + b[i];
        }
        return y;
    }

    static double[] rmsNorm(double[] x, double[] w, int rows, int dim, double eps) {
        double[] y = new double[rows * dim];
        for (int r = 0; r < rows; r++) {
            double ms = 0;
            for (int i = 0; i < dim; i++) ms += x[r * dim + i] * x[r * dim + i] / dim;
            double rstd = 1 / Math.sqrt(ms + eps);
            for (int i = 0; i < dim; i++) y[r * dim + i] = w[i] * x[r * dim + i] * rstd;
        }
        return y;
    }

    /** erf in float64 (|error| ≲ 1e-15): its Taylor series below 3, the continued fraction of erfc above. */
    static double erf(double x) {
        double a = Math.abs(x), e;
        if (a < 3) {
            double term = a, s = a;
            for (int n = 1; Math.abs(term) > 1e-18 * s; n++) {
                term *= -a * a / n;
                s += term / (2 * n + 1);
            }
            e = 2 / Math.sqrt(Math.PI) * s;
        } else {
            double f = a;
            for (int k = 80; k >= 1; k--) f = a + (k / 2.0) / f;
            e = 1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * f);
        }
        return x < 0 ? -e : e;
    }

    static double gelu(double x) { return 0.5 * x * (1 + erf(x / Math.sqrt(2))); }

    static double geluTanh(double x) { return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))); }

    static double silu(double g) { return g / (1 + Math.exp(-g)); }

    static double[] map(double[] x, java.util.function.DoubleUnaryOperator f) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = f.applyAsDouble(x[i]);
        return y;
    }

    // ---- the ops under test, as GradCheck.Op ----

    /**
     * Rows with a non-zero mean and spread-out scales, so centering and the variance term matter; no value
     * within 0.1 of 0, where a row of one value makes rstd huge and dx a cancellation (1 − x̂²) that fp32
     * resolves only to ~1e-7·rstd·|dy·w| absolute.
     */
    private static float[] rowsOf(Random rnd, int rows, int dim) {
        float[] x = gaussian(rnd, rows * dim);
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < dim; i++) {
                float v = x[r * dim + i] * (1 + r) + 0.5f * (r - 1);
                x[r * dim + i] = Math.abs(v) < 0.1f ? 0.1f + v : v;
            }
        return x;
    }

    static GradCheck.Op layerNormOp(Random rnd, int rows, int dim) {
        float eps = 1e-5f;
        float[] x = rowsOf(rnd, rows, dim), w = gaussian(rnd, dim), b = gaussian(rnd, dim);
        return new GradCheck.Op("layerNorm " + rows + "x" + dim, new float[][] {x, w, b}, rows * dim,
                in -> layerNorm(in[0], in[1], in[2], rows, dim, eps),
                (dy, g) -> Ops.layerNormBackward(x, dy, rows, dim, w, eps, g[0], g[1], g[2]),
                (t, ty) -> Ops.layerNormJvp(x, t[0], rows, dim, w, t[1], t[2], eps, ty));
    }

    static GradCheck.Op rmsNormOp(Random rnd, int rows, int dim) {
        float eps = 1e-6f;
        float[] x = rowsOf(rnd, rows, dim), w = gaussian(rnd, dim);
        return new GradCheck.Op("rmsNorm " + rows + "x" + dim, new float[][] {x, w}, rows * dim,
                in -> rmsNorm(in[0], in[1], rows, dim, eps),
                (dy, g) -> Ops.rmsNormBackward(x, dy, rows, dim, w, eps, g[0], g[1]),
                (t, ty) -> Ops.rmsNormJvp(x, t[0], rows, dim, w, t[1], eps, ty));
    }

    /** Inputs over [−6, 6] (both tails of the activations), kept 1e-2 away from relu's kink. */
    private static float[] activationInputs(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextDouble() * 12 - 6);
            if (Math.abs(x[i]) < 1e-2f) x[i] = 0.5f;
        }
        return x;
    }

    static GradCheck.Op reluOp(Random rnd, int n) {
        float[] x = activationInputs(rnd, n);
        return new GradCheck.Op("relu " + n, new float[][] {x}, n, in -> map(in[0], v -> Math.max(v, 0)),
                (dy, g) -> Ops.reluBackward(x, dy, g[0], n), (t, ty) -> Ops.reluJvp(x, t[0], ty, n));
    }

    static GradCheck.Op geluOp(Random rnd, int n) {
        float[] x = activationInputs(rnd, n);
        return new GradCheck.Op("gelu " + n, new float[][] {x}, n, in -> map(in[0], OpsGradTest::gelu),
                (dy, g) -> Ops.geluBackward(x, dy, g[0], n), (t, ty) -> Ops.geluJvp(x, t[0], ty, n));
    }

    static GradCheck.Op geluTanhOp(Random rnd, int n) {
        float[] x = activationInputs(rnd, n);
        return new GradCheck.Op("geluTanh " + n, new float[][] {x}, n, in -> map(in[0], OpsGradTest::geluTanh),
                (dy, g) -> Ops.geluTanhBackward(x, dy, g[0], n), (t, ty) -> Ops.geluTanhJvp(x, t[0], ty, n));
    }

    static GradCheck.Op siluMulOp(Random rnd, int n) {
        float[] g = activationInputs(rnd, n), u = gaussian(rnd, n);
        return new GradCheck.Op("siluMul " + n, new float[][] {g, u}, n, in -> {
            double[] y = new double[n];
            for (int i = 0; i < n; i++) y[i] = silu(in[0][i]) * in[1][i];
            return y;
        }, (dy, d) -> Ops.siluMulBackward(g, u, dy, d[0], d[1], n), (t, ty) -> Ops.siluMulJvp(g, u, t[0], t[1], ty, n));
    }

    /**
     * Rope on rows of `width` > heads·hd floats, as the map to its rotated columns (the last 3 of each row are
     * left alone: their gradient is the caller's). Its JVP is rope of the tangent (it is linear), which makes
     * the adjoint check a check of ropeBackward against rope itself.
     */
    static GradCheck.Op ropeOp(Random rnd, int rows, int heads, int hd) {
        int width = heads * hd + 3, maxPos = 50;
        float[][] cs = Ops.ropeTables(10000, hd, maxPos);
        int[] pos = new int[rows];
        for (int r = 0; r < rows; r++) pos[r] = rnd.nextInt(maxPos);
        float[] x = gaussian(rnd, rows * width);
        return new GradCheck.Op("rope " + rows + "x" + heads + "x" + hd, new float[][] {x}, rows * width, in -> {
            double[] y = new double[rows * width];
            int half = hd / 2;
            for (int r = 0; r < rows; r++)
                for (int h = 0; h < heads; h++)
                    for (int i = 0; i < half; i++) {
                        int o = r * width + h * hd + i;
                        double a = in[0][o], b = in[0][o + half], c = cs[0][pos[r] * half + i], s = cs[1][pos[r] * half + i];
                        y[o] = a * c - b * s;
                        y[o + half] = b * c + a * s;
                    }
            return y;
        }, (dy, g) -> Ops.ropeBackward(dy, rows, width, heads, hd, pos, cs[0], cs[1], g[0]), (t, ty) -> {
            if (t[0] == null) java.util.Arrays.fill(ty, 0f);
            else {
                System.arraycopy(t[0], 0, ty, 0, ty.length);
                Ops.rope(ty, rows, width, heads, hd, pos, cs[0], cs[1]);
                for (int r = 0; r < rows; r++) java.util.Arrays.fill(ty, r * width + heads * hd, (r + 1) * width, 0f);
            }
        });
    }

    // ---- tests ----

    @Test
    void layerNorm() {
        Random rnd = new Random(1);
        for (int rows : ROWS)
            for (int dim : DIMS) GradCheck.check(layerNormOp(rnd, rows, dim), rows * 100L + dim, 1e-4, 0.1);
    }

    @Test
    void rmsNorm() {
        Random rnd = new Random(2);
        for (int rows : ROWS)
            for (int dim : DIMS) GradCheck.check(rmsNormOp(rnd, rows, dim), rows * 100L + dim, 1e-4, 0.1);
    }

    @Test
    void activations() {
        Random rnd = new Random(3);
        for (int n : SIZES) {
            GradCheck.check(reluOp(rnd, n), n, 1e-6, 0);
            GradCheck.check(geluOp(rnd, n), n, 1e-5, 0);
            GradCheck.check(geluTanhOp(rnd, n), n, 1e-5, 0);
            GradCheck.check(siluMulOp(rnd, n), n, 1e-5, 0);
        }
    }

    @Test
    void rope() {
        Random rnd = new Random(4);
        for (int rows : ROWS)
            for (int[] hh : new int[][] {{1, 2}, {3, 6}, {2, 16}, {2, 64}})
                GradCheck.check(ropeOp(rnd, rows, hh[0], hh[1]), rows * 1000L + hh[1], 1e-6, 0);
    }

    @Test
    void sameBitsOnAnyThreadCount() {
        Random rnd = new Random(5);
        // Large enough to split rows, columns (the parameter gradients) and element ranges over 2 threads.
        GradCheck.checkThreads(layerNormOp(rnd, 67, 1023), 1);
        GradCheck.checkThreads(rmsNormOp(rnd, 67, 1023), 2);
        int n = 70001;
        GradCheck.checkThreads(reluOp(rnd, n), 3);
        GradCheck.checkThreads(geluOp(rnd, n), 4);
        GradCheck.checkThreads(geluTanhOp(rnd, n), 5);
        GradCheck.checkThreads(siluMulOp(rnd, n), 6);
        GradCheck.checkThreads(ropeOp(rnd, 300, 4, 64), 7);
    }

    /** The derivatives against their float64 closed forms on a dense grid, then far out, at ±∞ and NaN. */
    @Test
    void activationDerivativesAnywhere() {
        int n = 40001;
        float[] x = new float[n + 8], ones = new float[n + 8];
        for (int i = 0; i < n; i++) x[i] = -20f + 40f * i / (n - 1);
        float[] far = {-1e30f, -200f, 200f, 1e30f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 0f};
        System.arraycopy(far, 0, x, n, 8);
        java.util.Arrays.fill(ones, 1f);
        float[] dg = new float[x.length], dt = new float[x.length], ds = new float[x.length];
        Ops.geluJvp(x, ones, dg, x.length);
        Ops.geluTanhJvp(x, ones, dt, x.length);
        Ops.siluMulJvp(x, ones, ones, null, ds, x.length);
        double c = Math.sqrt(2 / Math.PI);
        for (int i = 0; i < n; i++) {
            double v = x[i], phi = Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);
            double th = Math.tanh(c * (v + 0.044715 * v * v * v)), sg = 1 / (1 + Math.exp(-v));
            double gelu = 0.5 * (1 + erf(v / Math.sqrt(2))) + v * phi;
            double tanh = 0.5 * (1 + th) + 0.5 * v * (1 - th * th) * c * (1 + 3 * 0.044715 * v * v);
            assertEquals(gelu, dg[i], 3e-7, "gelu' at " + v);
            assertEquals(tanh, dt[i], 3e-7, "geluTanh' at " + v);
            assertEquals(sg * (1 + v * (1 - sg)), ds[i], 3e-7, "silu' at " + v);
        }
        for (int i = n; i < n + 6; i++) {
            float expected = x[i] > 0 ? 1f : 0f;
            assertEquals(expected, dg[i], 1e-30, "gelu' at " + x[i]);
            assertEquals(expected, dt[i], 1e-30, "geluTanh' at " + x[i]);
            assertEquals(expected, ds[i], 1e-30, "silu' at " + x[i]);
        }
        assertTrue(Float.isNaN(dg[n + 6]) && Float.isNaN(dt[n + 6]) && Float.isNaN(ds[n + 6]), "NaN in, NaN out");
        assertEquals(0.5f, dg[n + 7]);
        assertEquals(0.5f, dt[n + 7]);
        assertEquals(0.5f, ds[n + 7]);
    }
}
