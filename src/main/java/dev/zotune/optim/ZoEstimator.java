package dev.zotune.optim;

import dev.zotune.tensor.Tensor;
import dev.zotune.zo.Perturbation;

import java.util.List;

/**
 * The ZO estimate of ZO-BENCH.md §1 at the current θ, for queries i = 0..q−1 with seeds
 * s_i = {@link ZoDirection#querySeed}(s, i), every loss read through a {@link Perturbation} so the
 * stored bits of θ never change. With ε the config's eps rounded to fp32:
 * two-sided g_i = (L(θ+ε·z_i) − L(θ−ε·z_i)) / (2ε), 2q forwards, logged loss (L₊ + L₋)/2 of
 * query 0 (≈ L(θ) to O(ε²)); one-sided g_i = (L(θ+ε·z_i) − L(θ)) / ε, q + 1 forwards, logged loss
 * L(θ) itself. Every loss and g_i is checked finite before anything is returned.
 */
final class ZoEstimator {
    /** The projected gradients g_i, the logged loss, and the forwards run. */
    record Estimate(double[] g, double loss, int forwards) {}

    private final String optimizer;
    private final List<Tensor> tensors;
    private final float eps;
    private final int q;
    private final boolean oneSided;

    ZoEstimator(String optimizer, List<Param> params, OptimizerConfig c) {
        this.optimizer = optimizer;
        this.tensors = params.stream().map(Param::tensor).toList();
        this.eps = (float) c.eps();
        this.q = c.q();
        this.oneSided = c.oneSided();
    }

    /** The loss at θ: one plain forward, checked finite. */
    double lossAtTheta(Objective f, long step) {
        double l = f.loss();
        Finite.require(optimizer, step, "loss L(θ) = " + l, l);
        return l;
    }

    Estimate estimate(Objective f, long step, long seed) {
        double[] g = new double[q];
        double base = oneSided ? lossAtTheta(f, step) : Double.NaN, logged = base;
        for (int i = 0; i < q; i++) {
            long s = ZoDirection.querySeed(seed, i);
            double plus = lossAt(f, s, eps), other = oneSided ? base : lossAt(f, s, -eps);
            g[i] = oneSided ? (plus - base) / eps : (plus - other) / (2.0 * eps);
            Finite.require(optimizer, step, "ZO estimate (query " + i + ": L+ = " + plus + ", " + (oneSided ? "L" : "L-")
                    + " = " + other + ", g = " + g[i] + ")", plus, other, g[i]);
            if (i == 0 && !oneSided) logged = (plus + other) / 2;
        }
        return new Estimate(g, logged, oneSided ? q + 1 : 2 * q);
    }

    private double lossAt(Objective f, long seed, float scale) {
        try (Perturbation p = Perturbation.open(tensors, seed, scale)) {
            return f.loss();
        }
    }
}
