package dev.zotune.optim;

import dev.zotune.io.ZotuneException;

/**
 * Every optimizer's hyperparameters except the learning rate (which the schedule gives per step).
 * eps: the ZO perturbation scale ε; q: queries (random directions) per step; oneSided: estimate
 * g = (L(θ+εz) − L(θ))/ε instead of the two-sided (L(θ+εz) − L(θ−εz))/(2ε); weightDecay: applied
 * only to parameters whose {@link Param#decay} is true; momentum: β of ZO-SGD-MMT; beta1, beta2,
 * adamEps: Adam's; clipNorm: the first-order global gradient-norm clip (≤ 0: off).
 */
public record OptimizerConfig(double eps, int q, boolean oneSided, double weightDecay, double momentum,
                              double beta1, double beta2, double adamEps, double clipNorm) {
    public OptimizerConfig {
        if (!(eps > 0) || !Double.isFinite(eps)) throw new ZotuneException("optimizer: eps must be a positive number, got " + eps);
        if (q < 1) throw new ZotuneException("optimizer: q (queries per step) must be >= 1, got " + q);
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay))
            throw new ZotuneException("optimizer: weight decay must be >= 0, got " + weightDecay);
        for (double b : new double[] {momentum, beta1, beta2})
            if (!(b >= 0 && b < 1)) throw new ZotuneException("optimizer: momentum and Adam betas must be in [0, 1), got " + b);
        if (!(adamEps > 0)) throw new ZotuneException("optimizer: Adam eps must be positive, got " + adamEps);
        if (Double.isNaN(clipNorm)) throw new ZotuneException("optimizer: clip norm is NaN");
    }

    /** ε 1e-3, q 1, two-sided, no weight decay, β 0.9, Adam (0.9, 0.999, 1e-8), clip 1.0. */
    public static OptimizerConfig defaults() {
        return new OptimizerConfig(1e-3, 1, false, 0, 0.9, 0.9, 0.999, 1e-8, 1.0);
    }

    public OptimizerConfig withEps(double e) { return new OptimizerConfig(e, q, oneSided, weightDecay, momentum, beta1, beta2, adamEps, clipNorm); }
    public OptimizerConfig withQ(int n) { return new OptimizerConfig(eps, n, oneSided, weightDecay, momentum, beta1, beta2, adamEps, clipNorm); }
    public OptimizerConfig withOneSided(boolean o) { return new OptimizerConfig(eps, q, o, weightDecay, momentum, beta1, beta2, adamEps, clipNorm); }
    public OptimizerConfig withWeightDecay(double wd) { return new OptimizerConfig(eps, q, oneSided, wd, momentum, beta1, beta2, adamEps, clipNorm); }
    public OptimizerConfig withClipNorm(double c) { return new OptimizerConfig(eps, q, oneSided, weightDecay, momentum, beta1, beta2, adamEps, c); }
}
