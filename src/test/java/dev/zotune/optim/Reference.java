package dev.zotune.optim;

import dev.zotune.zo.ReferenceNoise;

/** The tests' independent pieces: query seeds by a plain SplitMix64 generator, z by the scalar reference. */
final class Reference {
    private Reference() {}

    /** Query 0: the step seed; query i ≥ 1: the i-th output of a SplitMix64 generator seeded with s. */
    static long querySeed(long s, int i) {
        long state = s, out = s;
        for (int k = 0; k < i; k++) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            out = z ^ (z >>> 31);
        }
        return out;
    }

    static float z(long seed, int stream, long k) { return ReferenceNoise.z(seed, stream, k); }

    /** θ + eps·z(seed) as Perturbation defines it: fma(eps, z, θ). */
    static float[][] perturbed(float[][] theta, long seed, float eps) {
        float[][] out = new float[theta.length][];
        for (int p = 0; p < theta.length; p++) {
            out[p] = theta[p].clone();
            for (int k = 0; k < out[p].length; k++) out[p][k] = Math.fma(eps, z(seed, p, k), out[p][k]);
        }
        return out;
    }

    /** The ZO projected gradients of ZO-BENCH.md §1 at θ, recomputed from explicit copies. */
    static double[] projectedGradients(LeastSquares f, float[][] theta, long seed, OptimizerConfig c) {
        float eps = (float) c.eps();
        double base = f.lossOf(theta);
        double[] g = new double[c.q()];
        for (int i = 0; i < g.length; i++) {
            long s = querySeed(seed, i);
            double plus = f.lossOf(perturbed(theta, s, eps));
            g[i] = c.oneSided() ? (plus - base) / eps : (plus - f.lossOf(perturbed(theta, s, -eps))) / (2.0 * eps);
        }
        return g;
    }

    /**
     * The fused SGD move θ + t·(Σ w_i z_i + wd·θ) in the documented fp32 order: fma(t·wd, θ, θ) on
     * decay parameters, then fma(t·w_i, z_i, θ) per query.
     */
    static float[][] sgdMove(LeastSquares f, float[][] theta, long seed, double t, double[] w, double wd) {
        float[][] out = new float[theta.length][];
        for (int p = 0; p < theta.length; p++) {
            out[p] = theta[p].clone();
            boolean decay = f.params.get(p).decay() && wd > 0;
            for (int k = 0; k < out[p].length; k++) {
                float v = decay ? Math.fma((float) (t * wd), out[p][k], out[p][k]) : out[p][k];
                for (int i = 0; i < w.length; i++) v = Math.fma((float) (t * w[i]), z(querySeed(seed, i), p, k), v);
                out[p][k] = v;
            }
        }
        return out;
    }

    /** d = Σ_i (g_i/q)·z_i per element, accumulated in fp32 fma in query order (the optimizers' scratch d). */
    static float d(long seed, double[] g, int p, int k) {
        float d = 0f;
        for (int i = 0; i < g.length; i++) d = Math.fma((float) (g[i] / g.length), z(querySeed(seed, i), p, k), d);
        return d;
    }
}
