package dev.zotune.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.zotune.tensor.Parallel;
import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Vector kernels against {@link ScalarOps} bit for bit, on sizes around every vector and lane
 * boundary, across thread counts; and the transcendental functions against float64 math.
 */
class OpsTest {
    private static final int[] SIZES = {0, 1, 7, 15, 16, 17, 37, 100, 257, 1000, 4099, 70001};
    private static final int THREADS = Parallel.threads();

    @AfterEach
    void restoreThreads() { Parallel.setThreads(THREADS); }

    static float[] random(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian() * scale;
        return a;
    }

    /** Equal bit patterns (NaNs compared as NaN). */
    static void assertBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++)
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i]))
                throw new AssertionError(what + " differs at " + i + ": " + expected[i] + " vs " + actual[i]);
    }

    @Test
    void sumIsTheCanonicalSum() {
        Random rnd = new Random(1);
        for (int n : SIZES)
            for (int off : new int[] {0, 3}) {
                float[] a = random(rnd, n + off, 10f);
                assertEquals(Float.floatToIntBits(ScalarOps.sum(a, off, n)), Float.floatToIntBits(Ops.sum(a, off, n)), "n=" + n);
            }
    }

    @Test
    void normsMatchScalarOnAnyThreadCount() {
        Random rnd = new Random(2);
        int[][] shapes = {{1, 1}, {3, 7}, {5, 37}, {4, 100}, {9, 257}, {2048, 768}, {67, 1023}};
        for (int[] sh : shapes) {
            int rows = sh[0], dim = sh[1];
            float[] x = random(rnd, rows * dim, 3f), g = random(rnd, dim, 1f), beta = random(rnd, dim, 1f);
            for (int i = 0; i < x.length; i += 5) x[i] += 7f;   // a non-zero mean
            float[] lnRef = new float[x.length], rmsRef = new float[x.length];
            ScalarOps.layerNorm(x, lnRef, rows, dim, g, beta, 1e-5f);
            ScalarOps.rmsNorm(x, rmsRef, rows, dim, g, 1e-6f);
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                float[] ln = new float[x.length], rms = new float[x.length];
                Ops.layerNorm(x, ln, rows, dim, g, beta, 1e-5f);
                Ops.rmsNorm(x, rms, rows, dim, g, 1e-6f);
                assertBits(lnRef, ln, "layerNorm " + rows + "x" + dim + " threads " + threads);
                assertBits(rmsRef, rms, "rmsNorm " + rows + "x" + dim + " threads " + threads);
            }
        }
    }

    @Test
    void normsInPlace() {
        Random rnd = new Random(3);
        float[] x = random(rnd, 5 * 37, 2f), g = random(rnd, 37, 1f), b = random(rnd, 37, 1f);
        float[] ref = new float[x.length];
        ScalarOps.layerNorm(x, ref, 5, 37, g, b, 1e-5f);
        Ops.layerNorm(x, x, 5, 37, g, b, 1e-5f);
        assertBits(ref, x, "in-place layerNorm");
    }

    @Test
    void elementwiseMatchScalarOnAnyThreadCount() {
        Random rnd = new Random(4);
        for (int n : SIZES) {
            float[] x = random(rnd, n, 4f), b = random(rnd, n, 4f);
            if (n > 3) { x[0] = Float.NaN; x[1] = -0f; x[2] = Float.NEGATIVE_INFINITY; x[3] = 100f; }
            for (int threads : new int[] {1, 2}) {
                Parallel.setThreads(threads);
                check(x, n, a -> { Ops.gelu(a, n); return a; }, ScalarOps::gelu, "gelu");
                check(x, n, a -> { Ops.geluTanh(a, n); return a; }, ScalarOps::geluTanh, "geluTanh");
                check(x, n, a -> { Ops.relu(a, n); return a; }, v -> Math.max(v, 0f), "relu");
                float[] sum = x.clone(), silu = x.clone(), sumRef = x.clone(), siluRef = x.clone();
                Ops.add(sum, b, n);
                Ops.siluMul(silu, b, n);
                for (int i = 0; i < n; i++) { sumRef[i] += b[i]; siluRef[i] = ScalarOps.silu(x[i]) * b[i]; }
                assertBits(sumRef, sum, "add n=" + n);
                assertBits(siluRef, silu, "siluMul n=" + n);
            }
        }
    }

    private static void check(float[] x, int n, UnaryOperator<float[]> op, FloatOp ref, String what) {
        float[] expected = x.clone();
        for (int i = 0; i < n; i++) expected[i] = ref.apply(x[i]);
        assertBits(expected, op.apply(x.clone()), what + " n=" + n);
    }

    @FunctionalInterface
    interface FloatOp { float apply(float x); }

    @Test
    void elementwiseLeavesElementsPastNAlone() {
        float[] x = {1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f, 13f, 14f, 15f, 16f, 17f, 18f, 19f, 20f};
        Ops.gelu(x, 5);
        for (int i = 5; i < x.length; i++) assertEquals(i + 1f, x[i]);
    }

    @Test
    void logSumExpMatchesScalarAndFloat64() {
        Random rnd = new Random(5);
        for (int n : SIZES) {
            if (n == 0) continue;
            float[] a = random(rnd, n + 2, 5f);
            if (n > 1) a[1] = Float.NEGATIVE_INFINITY;   // a masked logit
            float got = Ops.logSumExp(a, 1, n);
            assertEquals(Float.floatToIntBits(ScalarOps.logSumExp(a, 1, n)), Float.floatToIntBits(got), "n=" + n);
            double max = Double.NEGATIVE_INFINITY, s = 0;
            for (int i = 1; i <= n; i++) max = Math.max(max, a[i]);
            for (int i = 1; i <= n; i++) s += Math.exp(a[i] - max);
            double ref = max + Math.log(s);
            assertEquals(ref, got, 1e-6 * Math.max(1, Math.abs(ref)) + 1e-7 * Math.log(n + 1), "n=" + n);
        }
        assertEquals(Float.NEGATIVE_INFINITY, Ops.logSumExp(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 0, 2));
        assertEquals(Float.POSITIVE_INFINITY, Ops.logSumExp(new float[] {1f, Float.POSITIVE_INFINITY}, 0, 2));
        assertTrue(Float.isNaN(Ops.logSumExp(new float[] {1f, Float.NaN, 3f}, 0, 3)));
        assertEquals(1000f + (float) Math.log(2), Ops.logSumExp(new float[] {1000f, 1000f}, 0, 2), 1e-4f);
    }

    @Test
    void ropeMatchesScalar() {
        Random rnd = new Random(6);
        float[][] tables = Ops.ropeTables(10000, 64, 300);
        for (int[] sh : new int[][] {{1, 1, 64}, {7, 3, 64}, {300, 12, 64}}) {
            int rows = sh[0], heads = sh[1], hd = sh[2], stride = heads * hd + 5;
            float[] x = random(rnd, rows * stride, 1f), ref = x.clone();
            int[] pos = new int[rows];
            for (int r = 0; r < rows; r++) pos[r] = rnd.nextInt(300);
            ScalarOps.rope(ref, rows, stride, heads, hd, pos, tables[0], tables[1]);
            Ops.rope(x, rows, stride, heads, hd, pos, tables[0], tables[1]);
            assertBits(ref, x, "rope " + rows + "x" + heads);
        }
        float[][] odd = Ops.ropeTables(10000, 10, 8);   // half = 5: all in the scalar tail
        float[] x = random(rnd, 2 * 10, 1f), ref = x.clone();
        int[] pos = {3, 7};
        ScalarOps.rope(ref, 2, 10, 1, 10, pos, odd[0], odd[1]);
        Ops.rope(x, 2, 10, 1, 10, pos, odd[0], odd[1]);
        assertBits(ref, x, "rope hd=10");
    }

    /** Vector exp over xs (through the kernel that attention and logSumExp use). */
    private static float[] vectorExp(float[] xs) {
        int n = (xs.length + VMath.L - 1) / VMath.L * VMath.L;
        float[] a = Arrays.copyOf(xs, n);
        Ops.expShifted(a, 0, a, 0, n, 0f);
        return Arrays.copyOf(a, xs.length);
    }

    /** Floats from lo to hi, every step-th bit pattern, plus the given extras. */
    private static float[] sweep(float lo, float hi, int step, float... extras) {
        int from = Float.floatToIntBits(Math.abs(lo)), to = Float.floatToIntBits(Math.abs(hi));
        int count = (Math.max(from, to)) / step + 1;
        float[] xs = new float[2 * count + extras.length];
        int n = 0;
        for (int bits = 0; n < 2 * count && bits >= 0; bits += step) {
            float v = Float.intBitsToFloat(bits);
            if (v <= hi) xs[n++] = v;
            if (-v >= lo) xs[n++] = -v;
        }
        System.arraycopy(extras, 0, xs, n, extras.length);
        return Arrays.copyOf(xs, n + extras.length);
    }

    @Test
    void expIsWithinOneUlpAndMatchesScalar() {
        float[] xs = sweep(-104f, 88.7f, 1009, -100f, 100f, 88.72f, -87.3f, -103.9f, 0f, -0f, 1e-30f,
                Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 1e30f, -1e30f);
        float[] got = vectorExp(xs);
        double worst = 0;
        for (int i = 0; i < xs.length; i++) {
            float x = xs[i];
            if (Float.floatToIntBits(ScalarOps.exp(x)) != Float.floatToIntBits(got[i])) fail("exp(" + x + ") differs from scalar");
            double exact = Math.exp(x);
            if (Double.isNaN(exact) || exact > Float.MAX_VALUE) {
                assertEquals((float) exact, got[i], "x=" + x);   // NaN, +inf
                continue;
            }
            double ulps = Math.abs(got[i] - exact) / Math.ulp((float) exact);
            worst = Math.max(worst, ulps);
            if (ulps > 2) fail("exp(" + x + ") = " + got[i] + ", exact " + exact + ": " + ulps + " ulp");
        }
        assertTrue(worst <= 1.0, "worst exp error " + worst + " ulp");
        float[] special = vectorExp(new float[] {0f, -0f, Float.NEGATIVE_INFINITY, -100f});
        assertEquals(1f, special[0]);   // exactly 1 at the softmax maximum
        assertEquals(1f, special[1]);
        assertEquals(0f, special[2]);
        assertEquals(3.7200760e-44f, special[3]);   // subnormal, correctly rounded
    }

    /** erf in float64 from the everywhere-positive series erf z = 2/√π·e^{−z²}·Σ 2ⁿz^{2n+1}/(1·3···(2n+1)). */
    static double erf(double z) {
        double a = Math.abs(z);
        if (a > 6) return Math.signum(z);
        double term = a, s = a;
        for (int n = 1; term > 1e-18 * s; n++) {
            term *= 2 * a * a / (2 * n + 1);
            s += term;
        }
        return Math.copySign(2 / Math.sqrt(Math.PI) * Math.exp(-a * a) * s, z);
    }

    @Test
    void float64ReferenceErfIsRight() {
        assertEquals(0.8427007929497149, erf(1), 1e-15);
        assertEquals(-0.9953222650189527, erf(-2), 1e-15);
        assertEquals(0.9999779095030014, erf(3), 1e-15);
        assertEquals(1.1283791670579e-5, erf(1e-5), 1e-20);
    }

    private static final float[] SPECIALS = {0f, -0f, 100f, -100f, 1e30f, -1e30f, 1e-30f, -1e-30f,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE};

    /** |f(x) − ref(x)| ≤ tol·max(1, |x|) over a sweep of [-lo, hi] and extreme inputs. */
    private static double checkAccuracy(UnaryOperator<float[]> f, DoubleUnaryOperator ref, double tol, float range, String what) {
        float[] xs = sweep(-range, range, 1009, SPECIALS);
        float[] got = f.apply(xs.clone());
        double worst = 0;
        for (int i = 0; i < xs.length; i++) {
            double exact = ref.applyAsDouble(xs[i]), err = Math.abs(got[i] - exact) / Math.max(1, Math.abs(xs[i]));
            worst = Math.max(worst, err);
            if (!(err <= tol)) fail(what + "(" + xs[i] + ") = " + got[i] + ", exact " + exact);
        }
        return worst;
    }

    @Test
    void geluIsAccurate() {
        double worst = checkAccuracy(a -> { Ops.gelu(a, a.length); return a; },
                x -> 0.5 * x * (1 + erf(x / Math.sqrt(2))), 2e-7, 12f, "gelu");
        System.out.println("gelu worst abs error / max(1,|x|): " + worst);
        float[] s = {Float.NaN, Float.POSITIVE_INFINITY, -0f};
        Ops.gelu(s, 3);
        assertTrue(Float.isNaN(s[0]));
        assertEquals(Float.POSITIVE_INFINITY, s[1]);
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(s[2]));
    }

    @Test
    void geluTanhIsAccurate() {
        double worst = checkAccuracy(a -> { Ops.geluTanh(a, a.length); return a; },
                x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))), 2e-7, 12f, "geluTanh");
        System.out.println("geluTanh worst abs error / max(1,|x|): " + worst);
    }

    @Test
    void siluIsAccurate() {
        float[] xs = sweep(-90f, 90f, 1009, SPECIALS), ones = new float[xs.length], got = xs.clone();
        Arrays.fill(ones, 1f);
        Ops.siluMul(got, ones, got.length);
        double worst = 0;
        for (int i = 0; i < xs.length; i++) {
            double x = xs[i], exact = x / (1 + Math.exp(-x));
            double ulps = Math.abs(got[i] - exact) / Math.ulp((float) Math.max(Math.abs(exact), Float.MIN_NORMAL));
            if (Math.abs(got[i] - exact) < 1e-36) continue;   // e^{-x} overflowed: -0 for x < -88.7
            worst = Math.max(worst, ulps);
            if (ulps > 3) fail("silu(" + x + ") = " + got[i] + ", exact " + exact);
        }
        System.out.println("silu worst error: " + worst + " ulp");
    }
}
