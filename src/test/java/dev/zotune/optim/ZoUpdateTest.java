package dev.zotune.optim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each ZO optimizer's step, element by element, against the formula recomputed from explicit copies of θ. */
class ZoUpdateTest {
    private static final long SEED = 0x5EEDL;

    @ParameterizedTest(name = "one-sided {0}, q {1}, wd {2}")
    @CsvSource({"false, 1, 0", "true, 1, 0", "false, 3, 0", "true, 3, 0", "false, 1, 0.1", "true, 3, 0.1"})
    void zoSgdIsTheMezoStep(boolean oneSided, int q, double wd) {
        LeastSquares f = LeastSquares.small(1);
        float[][] before = LeastSquares.values(f.params);
        OptimizerConfig c = OptimizerConfig.defaults().withOneSided(oneSided).withQ(q).withWeightDecay(wd);
        double lr = 0.05;
        f.pin();
        StepRecord r = Optimizers.create("zo-sgd", f.params, c).step(f, 7, SEED, lr);

        double[] g = Reference.projectedGradients(f, before, SEED, c);
        assertArrayEquals(g, r.projectedGradients(), 0.0);
        int forwards = oneSided ? q + 1 : 2 * q;
        assertEquals(forwards, r.forwards());
        assertEquals(forwards, f.losses, "forwards run");
        double loss = oneSided ? f.lossOf(before)
                : (f.lossOf(Reference.perturbed(before, SEED, (float) c.eps())) + f.lossOf(Reference.perturbed(before, SEED, -(float) c.eps()))) / 2;
        assertEquals(loss, r.loss(), 0.0);
        assertEquals(-1, r.choice());
        double[] w = Arrays.stream(g).map(x -> x / q).toArray();
        assertBits(Reference.sgdMove(f, before, SEED, -lr, w, wd), LeastSquares.values(f.params));
        if (wd > 0) {   // the no-decay parameter moved exactly as without decay
            float[][] noDecay = Reference.sgdMove(f, before, SEED, -lr, w, 0);
            assertArrayEquals(noDecay[1], LeastSquares.values(f.params)[1]);
            assertTrue(!Arrays.equals(noDecay[0], LeastSquares.values(f.params)[0]), "decay parameter decayed");
        }
    }

    @Test
    void oneAndTwoSidedEstimatesDiffer() {
        OptimizerConfig c = OptimizerConfig.defaults().withEps(0.5);
        LeastSquares f = LeastSquares.small(1);
        float[][] theta = LeastSquares.values(f.params);
        double two = Reference.projectedGradients(f, theta, SEED, c)[0], one = Reference.projectedGradients(f, theta, SEED, c.withOneSided(true))[0];
        // on a quadratic the two-sided estimate is exact, the one-sided one is off by ε/2·zᵀHz > 0
        assertTrue(one - two > 1e-3, one + " vs " + two);
        assertEquals(two, Optimizers.create("zo-sgd", f.params, c).step(f, 0, SEED, 0).projectedGradients()[0], 0.0);
        assertEquals(one, Optimizers.create("zo-sgd", f.params, c.withOneSided(true)).step(f, 0, SEED, 0).projectedGradients()[0], 0.0);
    }

    @Test
    void signUsesTheSignOfEachProjectedGradient() {
        LeastSquares f = LeastSquares.small(2);
        float[][] before = LeastSquares.values(f.params);
        OptimizerConfig c = OptimizerConfig.defaults().withQ(3).withWeightDecay(0.05);
        StepRecord r = Optimizers.create("zo-sgd-sign", f.params, c).step(f, 0, SEED, 0.01);
        double[] g = Reference.projectedGradients(f, before, SEED, c);
        assertArrayEquals(g, r.projectedGradients(), 0.0);
        double[] w = Arrays.stream(g).map(x -> Math.signum(x) / 3).toArray();
        assertBits(Reference.sgdMove(f, before, SEED, -0.01, w, 0.05), LeastSquares.values(f.params));
    }

    @Test
    void momentumAccumulatesInItsState() {
        LeastSquares f = LeastSquares.small(3);
        OptimizerConfig c = OptimizerConfig.defaults().withQ(2).withWeightDecay(0.1);
        Optimizer o = Optimizers.create("zo-sgd-mmt", f.params, c);
        float[][] theta = LeastSquares.values(f.params), m = zerosLike(theta);
        float beta = 0.9f, wd = 0.1f;
        for (int step = 0; step < 3; step++) {
            long seed = SEED + step;
            double lr = 0.02 * (step + 1);
            StepRecord r = o.step(f, step, seed, lr);
            double[] g = Reference.projectedGradients(f, theta, seed, c);
            assertArrayEquals(g, r.projectedGradients(), 0.0);
            for (int p = 0; p < theta.length; p++)
                for (int k = 0; k < theta[p].length; k++) {
                    float d = Reference.d(seed, g, p, k);
                    float u = f.params.get(p).decay() ? Math.fma(wd, theta[p][k], d) : d;
                    m[p][k] = Math.fma(beta, m[p][k], u);
                    theta[p][k] = Math.fma((float) -lr, m[p][k], theta[p][k]);
                }
            assertBits(theta, LeastSquares.values(f.params));
            for (int p = 0; p < m.length; p++) assertArrayEquals(m[p], o.state().get("m.w" + p).toFloats(), "m of w" + p);
        }
        o.close();
    }

    /** AdamW written in doubles from its definition, fed with d computed in doubles. */
    @Test
    void zoAdamIsAdamWFedWithTheDirection() {
        LeastSquares f = LeastSquares.small(4);
        OptimizerConfig c = OptimizerConfig.defaults().withQ(2).withWeightDecay(0.1);
        Optimizer o = Optimizers.create("zo-adam", f.params, c);
        float[][] now = LeastSquares.values(f.params);
        double[][] theta = toDouble(now), m = zeros(theta), v = zeros(theta);
        for (int t = 1; t <= 3; t++) {
            long seed = SEED * t;
            double lr = 1e-3 * t;
            StepRecord r = o.step(f, t, seed, lr);
            double[] g = Reference.projectedGradients(f, now, seed, c);
            assertArrayEquals(g, r.projectedGradients(), 0.0);
            for (int p = 0; p < theta.length; p++)
                for (int k = 0; k < theta[p].length; k++) {
                    double d = 0;
                    for (int i = 0; i < 2; i++) d += g[i] / 2 * Reference.z(Reference.querySeed(seed, i), p, k);
                    adamW(theta, m, v, p, k, d, lr, 0.1, f.params.get(p).decay(), t);
                }
            now = LeastSquares.values(f.params);
            assertClose(theta, now, lr);
        }
        assertEquals(3L, o.state().get("step").segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
        assertClose(m, new float[][] {o.state().get("m.w0").toFloats(), o.state().get("m.w1").toFloats(), o.state().get("m.w2").toFloats()}, 1e-3);
        o.close();
    }

    /** One AdamW step of element (p, k) in doubles: decoupled decay, bias-corrected moments. */
    static void adamW(double[][] theta, double[][] m, double[][] v, int p, int k, double g, double lr, double wd, boolean decay, int t) {
        m[p][k] = 0.9 * m[p][k] + 0.1 * g;
        v[p][k] = 0.999 * v[p][k] + 0.001 * g * g;
        if (decay) theta[p][k] -= lr * wd * theta[p][k];
        double mHat = m[p][k] / (1 - Math.pow(0.9, t)), vHat = v[p][k] / (1 - Math.pow(0.999, t));
        theta[p][k] -= lr * mHat / (Math.sqrt(vHat) + 1e-8);
    }

    @ParameterizedTest(name = "one-sided {0}, lr {1}, eps {2}")
    @CsvSource({"false, 0.5, 1e-3", "false, 200, 1e-3", "true, 0.01, 10"})
    void consKeepsTheLowestOfItsThree(boolean oneSided, double lr, double eps) {
        OptimizerConfig c = OptimizerConfig.defaults().withOneSided(oneSided).withEps(eps).withWeightDecay(0.1);
        Set<Integer> choices = new HashSet<>();
        for (long seed = 0; seed < 8; seed++) {
            LeastSquares f = LeastSquares.small(5);
            float[][] before = LeastSquares.values(f.params);
            f.pin();
            StepRecord r = Optimizers.create("zo-sgd-cons", f.params, c).step(f, 0, seed, lr);
            double[] g = Reference.projectedGradients(f, before, seed, c);
            assertArrayEquals(g, r.projectedGradients(), 0.0);
            float[][] minus = Reference.sgdMove(f, before, seed, -lr, g, 0.1), plus = Reference.sgdMove(f, before, seed, lr, g, 0.1);
            double[] l = {f.lossOf(before), f.lossOf(minus), f.lossOf(plus)};
            int best = l[1] < l[0] && l[1] <= l[2] ? 1 : l[2] < l[0] && l[2] < l[1] ? 2 : 0;
            assertEquals(best, r.choice(), "losses " + Arrays.toString(l));
            assertEquals(l[0], r.loss(), 0.0);
            assertEquals(oneSided ? 4 : 5, r.forwards());
            assertEquals(r.forwards(), f.losses);
            assertBits(new float[][][] {before, minus, plus}[best], LeastSquares.values(f.params));
            choices.add(r.choice());
        }
        // each setting exercises its branch: a good estimate descends, a huge lr stays, a biased one climbs back
        assertTrue(choices.contains(lr > 100 ? 0 : oneSided ? 2 : 1), "choices " + choices);
    }

    @ParameterizedTest(name = "q {0}")
    @CsvSource({"1", "2"})
    void forwardGradStepsAlongTheAnalyticDirectionalDerivative(int q) {
        LeastSquares f = LeastSquares.small(6);
        float[][] before = LeastSquares.values(f.params);
        double lr = 0.3;
        StepRecord r = Optimizers.create("forward-grad", f.params, OptimizerConfig.defaults().withQ(q)).step(f, 0, SEED, lr);
        double[] grad = f.gradientOf(before), dd = new double[q];
        for (int i = 0; i < q; i++) {
            int j = 0;
            for (int p = 0; p < before.length; p++)
                for (int k = 0; k < before[p].length; k++) dd[i] += grad[j++] * Reference.z(Reference.querySeed(SEED, i), p, k);
        }
        assertArrayEquals(dd, r.projectedGradients(), 0.0);
        assertEquals(f.lossOf(before), r.loss(), 0.0);
        assertEquals(q, r.forwards());
        assertEquals(q, f.jvps);
        assertEquals(0, f.losses);
        float[][] after = LeastSquares.values(f.params);
        for (int p = 0; p < before.length; p++)
            for (int k = 0; k < before[p].length; k++) {
                double move = 0;
                for (int i = 0; i < q; i++) move += lr * dd[i] / q * Reference.z(Reference.querySeed(SEED, i), p, k);
                assertEquals(before[p][k] - move, after[p][k], 1e-6, "w" + p + "[" + k + "]");
            }
        assertBits(Reference.sgdMove(f, before, SEED, -lr, Arrays.stream(dd).map(x -> x / q).toArray(), 0), after);
    }

    static void assertBits(float[][] expected, float[][] actual) {
        for (int p = 0; p < expected.length; p++)
            for (int k = 0; k < expected[p].length; k++)
                if (Float.floatToRawIntBits(expected[p][k]) != Float.floatToRawIntBits(actual[p][k]))
                    assertEquals(expected[p][k], actual[p][k], "w" + p + "[" + k + "] (bits)");
    }

    static void assertClose(double[][] expected, float[][] actual, double lr) {
        for (int p = 0; p < expected.length; p++)
            for (int k = 0; k < expected[p].length; k++)
                assertEquals(expected[p][k], actual[p][k], 1e-4 * lr + 2e-7 * Math.abs(expected[p][k]), "w" + p + "[" + k + "]");
    }

    static double[][] toDouble(float[][] a) {
        double[][] out = new double[a.length][];
        for (int p = 0; p < a.length; p++) {
            out[p] = new double[a[p].length];
            for (int k = 0; k < a[p].length; k++) out[p][k] = a[p][k];
        }
        return out;
    }

    static double[][] zeros(double[][] like) {
        double[][] out = new double[like.length][];
        for (int p = 0; p < like.length; p++) out[p] = new double[like[p].length];
        return out;
    }

    static float[][] zerosLike(float[][] like) {
        float[][] out = new float[like.length][];
        for (int p = 0; p < like.length; p++) out[p] = new float[like[p].length];
        return out;
    }

}
