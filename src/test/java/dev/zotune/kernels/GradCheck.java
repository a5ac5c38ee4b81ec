package dev.zotune.kernels;

import static dev.zotune.kernels.OpsTest.assertBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zotune.tensor.Parallel;
import java.util.Random;

/**
 * Float64 checks of gradients: central finite differences of a float64 reference forward under the scalar
 * loss ⟨r, f(inputs)⟩, directional differences for JVPs, element-wise tolerance checks and the adjoint
 * identity ⟨r, J·t⟩ = ⟨Jᵀ·r, t⟩.
 */
final class GradCheck {
    /** Finite-difference step: with float64 references, truncation (h²) and rounding (1e-16/h) errors stay ≤ 1e-8. */
    static final double H = 1e-4;

    /** A float64 reference forward of several inputs. */
    @FunctionalInterface
    interface Fn {
        double[] apply(double[][] in);
    }

    private GradCheck() {}

    static double[] f64(float[] a) {
        if (a == null) return null;
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static double[][] f64(float[]... a) {
        double[][] d = new double[a.length][];
        for (int i = 0; i < a.length; i++) d[i] = f64(a[i]);
        return d;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** ∂⟨r, f(in)⟩/∂in[which][i] by central differences, for each i. */
    static double[] fdGradient(Fn f, double[][] in, int which, double[] r) {
        double[] x = in[which], g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double x0 = x[i];
            x[i] = x0 + H;
            double up = dot(r, f.apply(in));
            x[i] = x0 - H;
            double down = dot(r, f.apply(in));
            x[i] = x0;
            g[i] = (up - down) / (2 * H);
        }
        return g;
    }

    /** (f(in + h·t) − f(in − h·t)) / 2h; a null tangent is zero. */
    static double[] fdDirectional(Fn f, double[][] in, double[][] t) {
        double[] up = f.apply(shifted(in, t, H)), down = f.apply(shifted(in, t, -H));
        double[] d = new double[up.length];
        for (int i = 0; i < d.length; i++) d[i] = (up[i] - down[i]) / (2 * H);
        return d;
    }

    private static double[][] shifted(double[][] in, double[][] t, double h) {
        double[][] s = new double[in.length][];
        for (int a = 0; a < in.length; a++) {
            if (in[a] == null) continue;
            s[a] = in[a].clone();
            if (t[a] != null) for (int i = 0; i < s[a].length; i++) s[a][i] += h * t[a][i];
        }
        return s;
    }

    /**
     * Asserts |actual − expected| ≤ tol·(|expected| + 0.1·max|expected| + floor) element-wise: relative where
     * the values are large, relative to the vector's scale where they nearly cancel, and absolute below floor
     * (the scale of the terms that cancel to a value near 0). Returns the worst ratio.
     */
    static double assertClose(double[] expected, float[] actual, double tol, double floor, String what) {
        double max = 0;
        for (double e : expected) max = Math.max(max, Math.abs(e));
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double ratio = Math.abs(actual[i] - expected[i]) / (Math.abs(expected[i]) + 0.1 * max + floor + 1e-30);
            if (!(ratio <= worst)) {   // NaN is worst
                worst = ratio;
                at = i;
            }
        }
        if (!(worst <= tol))
            throw new AssertionError(what + ": element " + at + " is " + actual[at] + ", expected " + expected[at]
                    + " (error ratio " + worst + " > " + tol + ")");
        return worst;
    }

    /** Σ_i a_i·b_i over pairs of arrays (nulls skipped), in float64, and Σ|a_i·b_i| as its scale. */
    static double[] pairing(float[][] a, float[][] b) {
        double s = 0, abs = 0;
        for (int k = 0; k < a.length; k++) {
            if (a[k] == null || b[k] == null) continue;
            for (int i = 0; i < a[k].length; i++) {
                double p = (double) a[k][i] * b[k][i];
                s += p;
                abs += Math.abs(p);
            }
        }
        return new double[] {s, abs};
    }

    /** ⟨r, J·t⟩ (from a JVP) equals ⟨Jᵀ·r, t⟩ (from a backward) within tol of the larger scale. */
    static void assertAdjoint(float[] r, float[] jt, float[][] grads, float[][] tangents, double tol, String what) {
        double[] lhs = pairing(new float[][] {r}, new float[][] {jt}), rhs = pairing(grads, tangents);
        double scale = Math.max(lhs[1], rhs[1]);
        assertTrue(Math.abs(lhs[0] - rhs[0]) <= tol * scale + 1e-30,
                what + ": ⟨r, Jt⟩ = " + lhs[0] + " but ⟨Jᵀr, t⟩ = " + rhs[0] + " (scale " + scale + ")");
    }

    static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    /** a + b element-wise in float: what += must give for a buffer that held a, b being the result into zeros. */
    static float[] plus(float[] a, float[] b) {
        float[] s = new float[a.length];
        for (int i = 0; i < a.length; i++) s[i] = a[i] + b[i];
        return s;
    }

    static float[] copy(float[] a) { return a == null ? null : a.clone(); }

    /** Runs a backward: accumulates into grads[i] (null: not wanted) from dy. */
    @FunctionalInterface
    interface Backward {
        void run(float[] dy, float[][] grads);
    }

    /** Runs a JVP: writes ty from tangents[i] (null: zero). */
    @FunctionalInterface
    interface Jvp {
        void run(float[][] tangents, float[] ty);
    }

    /** One op at one point: its float inputs, output size, float64 reference forward, backward and JVP. */
    record Op(String name, float[][] inputs, int outSize, Fn reference, Backward backward, Jvp jvp) {
        float[][] zeroGrads() {
            float[][] g = new float[inputs.length][];
            for (int i = 0; i < g.length; i++) g[i] = new float[inputs[i].length];
            return g;
        }

        float[][] gradients(float[] dy) {
            float[][] g = zeroGrads();
            backward.run(dy, g);
            return g;
        }

        float[] jvp(float[][] t) {
            float[] ty = new float[outSize];
            java.util.Arrays.fill(ty, Float.NaN);   // must be written
            jvp.run(t, ty);
            return ty;
        }

        float[][] tangents(Random rnd) {
            float[][] t = new float[inputs.length][];
            for (int i = 0; i < t.length; i++) t[i] = gaussian(rnd, inputs[i].length);
            return t;
        }
    }

    /**
     * The full set of checks of one op: backward against central differences of the reference and the JVP
     * against directional differences (tol and floor of {@link #assertClose}); the JVP against the backward
     * (adjoint identity, tol/10 of the scale Σ|terms|); null d-outputs skipped without changing the others;
     * += semantics bit for bit; null tangents as zeros.
     */
    static void check(Op op, long seed, double tol, double floor) {
        Random rnd = new Random(seed);
        float[] r = gaussian(rnd, op.outSize);
        float[][] grads = op.gradients(r);
        double[][] in = f64(op.inputs);
        for (int i = 0; i < grads.length; i++)
            assertClose(fdGradient(op.reference, in, i, f64(r)), grads[i], tol, floor, op.name + ": gradient of input " + i);

        float[][] t = op.tangents(rnd);
        float[] ty = op.jvp(t);
        assertClose(fdDirectional(op.reference, in, f64(t)), ty, tol, floor, op.name + ": JVP");
        assertAdjoint(r, ty, grads, t, tol / 10, op.name);

        for (int i = 0; i < grads.length; i++) {
            float[][] some = op.zeroGrads();
            some[i] = null;
            op.backward.run(r, some);
            for (int j = 0; j < grads.length; j++)
                if (j != i) assertBits(grads[j], some[j], op.name + ": gradient " + j + " without gradient " + i);
            float[][] partial = t.clone(), zeroed = t.clone();
            partial[i] = null;
            zeroed[i] = new float[t[i].length];
            assertArrayEquals(op.jvp(zeroed), op.jvp(partial), 0f, op.name + ": JVP with tangent " + i + " null");
        }
        op.backward.run(r, new float[grads.length][]);   // nothing wanted: nothing to do, no failure
        assertArrayEquals(new float[op.outSize], op.jvp(new float[grads.length][]), 0f, op.name + ": JVP of no tangent");

        float[][] acc = new float[grads.length][];
        for (int i = 0; i < acc.length; i++) acc[i] = gaussian(rnd, grads[i].length);
        float[][] before = new float[acc.length][];
        for (int i = 0; i < acc.length; i++) before[i] = acc[i].clone();
        op.backward.run(r, acc);
        for (int i = 0; i < acc.length; i++) assertBits(plus(before[i], grads[i]), acc[i], op.name + ": += into gradient " + i);
    }

    /** Backward and JVP give the same bits on 1 and 2 threads. */
    static void checkThreads(Op op, long seed) {
        Random rnd = new Random(seed);
        float[] r = gaussian(rnd, op.outSize);
        float[][] t = op.tangents(rnd);
        int threads = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[][] g1 = op.gradients(r);
            float[] j1 = op.jvp(t);
            Parallel.setThreads(2);
            float[][] g2 = op.gradients(r);
            for (int i = 0; i < g1.length; i++) assertBits(g1[i], g2[i], op.name + ": gradient " + i + " on 1 and 2 threads");
            assertBits(j1, op.jvp(t), op.name + ": JVP on 1 and 2 threads");
        } finally {
            Parallel.setThreads(threads);
        }
    }
}
