package dev.zotune.kernels;

import static dev.zotune.kernels.GradCheck.gaussian;
import static dev.zotune.kernels.OpsTest.assertBits;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zotune.tensor.DType;
import dev.zotune.tensor.Tensor;
import dev.zotune.tensor.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Gemm#linearBackward} against a naive float64 loop and, bit for bit, against its contract (chains of
 * {@link ScalarGemm} added to the outputs); in both weight layouts, with and without bias, through the read
 * hook, and against the JVP of linear (the adjoint identity).
 */
class GemmGradTest {
    private static final int[] SIZES = {1, 7, 37, 257};

    /** A weight of out × in logical size stored as the layout says, fp32 or bf16. */
    private static WeightMatrix weight(Random rnd, int in, int out, boolean inOut, DType dtype) {
        float[] w = gaussian(rnd, in * out);
        long[] shape = inOut ? new long[] {in, out} : new long[] {out, in};
        if (dtype == DType.F32) return new WeightMatrix(Tensor.of(w, shape), inOut);
        short[] bf = new short[w.length];
        for (int i = 0; i < w.length; i++) bf[i] = (short) (Float.floatToRawIntBits(w[i]) >>> 16);
        return new WeightMatrix(new Tensor(DType.BF16, shape, MemorySegment.ofArray(bf)), inOut);
    }

    /** W[o, i] of the logical [out, in] matrix, as read (hook included). */
    private static double w(float[] stored, WeightMatrix wm, int o, int i) {
        return wm.inOut() ? stored[i * wm.out() + o] : stored[o * wm.in() + i];
    }

    /**
     * Checks dx, dw, db (db only with bias) against float64 sums: |a − e| ≤ 1e-5·Σ|terms| + 1e-30, which an
     * fp32 chain of up to a few hundred terms meets and any wrong index or missing term does not.
     */
    private static void checkNaive(int rows, int in, int out, boolean inOut, DType dtype, boolean bias, long seed) {
        Random rnd = new Random(seed);
        WeightMatrix wm = weight(rnd, in, out, inOut, dtype);
        wm.tensor().setReadHook((from, dst, off, len) -> {   // a perturbation: dx must see it
            for (int i = 0; i < len; i++) dst[off + i] += 0.25f * ((from + i) % 3 - 1);
        });
        float[] stored = wm.tensor().toFloats();
        float[] x = gaussian(rnd, rows * in), dy = gaussian(rnd, rows * out);
        float[] dx = new float[rows * in], dw = new float[in * out], db = bias ? new float[out] : null;
        Gemm.linearBackward(x, rows, wm, dy, dx, dw, db);
        String what = rows + "x" + in + "->" + out + (inOut ? " inOut " : " outIn ") + dtype + (bias ? " bias" : "");
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < in; i++) {
                double s = 0, abs = 0;
                for (int o = 0; o < out; o++) {
                    double t = dy[r * out + o] * w(stored, wm, o, i);
                    s += t;
                    abs += Math.abs(t);
                }
                assertNear(s, abs, dx[r * in + i], what + ": dx[" + r + ", " + i + "]");
            }
        for (int o = 0; o < out; o++) {
            double sb = 0, absB = 0;
            for (int i = 0; i < in; i++) {
                double s = 0, abs = 0;
                for (int r = 0; r < rows; r++) {
                    double t = (double) dy[r * out + o] * x[r * in + i];
                    s += t;
                    abs += Math.abs(t);
                }
                assertNear(s, abs, dw[inOut ? i * out + o : o * in + i], what + ": dW[" + o + ", " + i + "]");
            }
            for (int r = 0; r < rows; r++) {
                sb += dy[r * out + o];
                absB += Math.abs(dy[r * out + o]);
            }
            if (bias) assertNear(sb, absB, db[o], what + ": db[" + o + "]");
        }
    }

    private static void assertNear(double expected, double scale, float actual, String what) {
        assertTrue(Math.abs(actual - expected) <= 1e-5 * scale + 1e-30, what + " is " + actual + ", expected " + expected);
    }

    @ParameterizedTest(name = "inOut={0}")
    @ValueSource(booleans = {false, true})
    void matchesFloat64OnOddSizes(boolean inOut) {
        long seed = 0;
        for (int rows : SIZES)
            for (int in : SIZES)
                for (int out : SIZES) checkNaive(rows, in, out, inOut, DType.F32, (rows + in + out) % 2 == 0, seed++);
        // Past one row block (MC) in dx's rows and in dw's rows, bf16 weights.
        checkNaive(Gemm.MC + 37, 300, 129, inOut, DType.BF16, true, seed++);
        checkNaive(5, 2 * Gemm.MC + 3, Gemm.MC + 1, inOut, DType.F32, false, seed);
    }

    /**
     * The numeric contract bit for bit: dx += the chains of linear(dy, Wᵀ view), dw += the chains of
     * linear(dyᵀ or xᵀ, the other as an inOut matrix), db += the column sums in row order from 0f.
     */
    @ParameterizedTest(name = "inOut={0}")
    @ValueSource(booleans = {false, true})
    void isTheContractBitForBit(boolean inOut) {
        Random rnd = new Random(inOut ? 1 : 2);
        int rows = 141, in = 75, out = 203;
        WeightMatrix wm = weight(rnd, in, out, inOut, DType.F32);
        float[] x = gaussian(rnd, rows * in), dy = gaussian(rnd, rows * out);
        float[] dx0 = gaussian(rnd, rows * in), dw0 = gaussian(rnd, in * out), db0 = gaussian(rnd, out);
        float[] dx = dx0.clone(), dw = dw0.clone(), db = db0.clone();
        Gemm.linearBackward(x, rows, wm, dy, dx, dw, db);

        float[] ex = new float[rows * in];
        ScalarGemm.linear(dy, rows, new WeightMatrix(wm.tensor(), !inOut), null, ex);
        assertBits(GradCheck.plus(dx0, ex), dx, "dx");
        float[] a = inOut ? x : dy, b = inOut ? dy : x;
        int aCols = inOut ? in : out, bCols = inOut ? out : in;
        float[] at = new float[rows * aCols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < aCols; c++) at[c * rows + r] = a[r * aCols + c];
        float[] ew = new float[in * out];
        ScalarGemm.linear(at, aCols, WeightMatrix.inOut(Tensor.of(b, rows, bCols)), null, ew);
        assertBits(GradCheck.plus(dw0, ew), dw, "dW");
        float[] eb = new float[out];
        for (int o = 0; o < out; o++) {
            float s = 0f;
            for (int r = 0; r < rows; r++) s += dy[r * out + o];
            eb[o] = s;
        }
        assertBits(GradCheck.plus(db0, eb), db, "db");
    }

    /**
     * linear as a GradCheck.Op of (x, W as stored, b): the JVP is linear(tx, W) + linear(x, tW) + tb, as the
     * integrator composes it from {@link Gemm#linear}.
     */
    private static GradCheck.Op linearOp(int rows, int in, int out, boolean inOut, long seed) {
        Random rnd = new Random(seed);
        WeightMatrix wm = weight(rnd, in, out, inOut, DType.F32);
        float[] x = gaussian(rnd, rows * in), w = wm.tensor().toFloats(), b = gaussian(rnd, out);
        long[] shape = wm.tensor().shape();
        return new GradCheck.Op("linear " + rows + "x" + in + "->" + out + (inOut ? " inOut" : " outIn"),
                new float[][] {x, w, b}, rows * out, v -> {
                    double[] y = new double[rows * out];
                    for (int r = 0; r < rows; r++)
                        for (int o = 0; o < out; o++) {
                            double s = v[2][o];
                            for (int i = 0; i < in; i++) s += v[0][r * in + i] * (inOut ? v[1][i * out + o] : v[1][o * in + i]);
                            y[r * out + o] = s;
                        }
                    return y;
                },
                (dy, g) -> Gemm.linearBackward(x, rows, wm, dy, g[0], g[1], g[2]),
                (t, ty) -> {
                    float[] part = new float[ty.length];
                    java.util.Arrays.fill(ty, 0f);
                    if (t[0] != null) Gemm.linear(t[0], rows, wm, null, ty);
                    if (t[1] != null) {
                        Gemm.linear(x, rows, new WeightMatrix(Tensor.of(t[1], shape), inOut), null, part);
                        for (int i = 0; i < ty.length; i++) ty[i] += part[i];
                    }
                    if (t[2] != null) for (int i = 0; i < ty.length; i++) ty[i] += t[2][i % out];
                });
    }

    @ParameterizedTest(name = "inOut={0}")
    @ValueSource(booleans = {false, true})
    void finiteDifferencesAdjointNullsAndAccumulation(boolean inOut) {
        long seed = 0;
        for (int rows : new int[] {1, 3, 7})
            for (int[] io : new int[][] {{1, 5}, {5, 1}, {37, 9}, {8, 37}})
                GradCheck.check(linearOp(rows, io[0], io[1], inOut, seed), seed++, 1e-5, 0);
    }

    @ParameterizedTest(name = "inOut={0}")
    @ValueSource(booleans = {false, true})
    void sameBitsOnAnyThreadCount(boolean inOut) {
        GradCheck.checkThreads(linearOp(Gemm.MC + 45, 257, 200, inOut, 3), 3);
        GradCheck.checkThreads(linearOp(9, 100, 300, inOut, 4), 4);
    }
}
