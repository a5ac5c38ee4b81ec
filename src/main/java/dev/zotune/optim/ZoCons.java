package dev.zotune.optim;

import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.Tensor;

import java.util.List;

/**
 * ZO-SGD-Cons (conservative): after the ZO estimate, the losses at θ, θ − lr·(d + wd·θ) and
 * θ + lr·(d + wd·θ) (the last two seen through {@link SgdMove} read hooks, so nothing is written
 * while measuring), and the lowest is kept (ties go to the earlier: θ, then −, then +). The record's
 * choice is 0 (θ kept, no write), 1 (−) or 2 (+); its loss is L(θ). Forwards: the estimate's plus
 * 3 (two-sided; 5 at q = 1), or plus 2 (one-sided, whose estimate already has L(θ)). No state.
 */
final class ZoCons extends ZoOptimizer {
    ZoCons(List<Param> params, OptimizerConfig c) { super("zo-sgd-cons", params, c); }

    @Override
    StepRecord measure(Objective f, long step, long seed, double lr) {
        ZoEstimator.Estimate e = estimator.estimate(f, step, seed);
        ZoDirection d = ZoDirection.mean(seed, e.g());
        double[] l = new double[3];
        l[0] = config.oneSided() ? e.loss() : estimator.lossAtTheta(f, step);
        l[1] = lossAt(f, move(d, 1, lr));
        l[2] = lossAt(f, move(d, 2, lr));
        Finite.require(name(), step, "candidate loss (L(θ) = " + l[0] + ", L(θ-lr·d) = " + l[1] + ", L(θ+lr·d) = " + l[2] + ")", l);
        int choice = 0;
        for (int k = 1; k < 3; k++) if (l[k] < l[choice]) choice = k;
        return new StepRecord(step, seed, lr, l[0], e.g(), e.forwards() + (config.oneSided() ? 2 : 3), choice);
    }

    @Override
    void apply(StepRecord r) {
        if (r.choice() < 0 || r.choice() > 2)
            throw new ZotuneException(name() + ": the record of step " + r.step() + " has choice " + r.choice() + ", not 0, 1 or 2");
        if (r.choice() != 0) move(direction(r), r.choice(), r.lr()).write(update);
    }

    private SgdMove move(ZoDirection d, int choice, double lr) {
        return new SgdMove(d, choice == 1 ? -lr : lr, config.weightDecay());
    }

    private double lossAt(Objective f, SgdMove m) {
        List<Param> params = update.params();
        try {
            for (int p = 0; p < params.size(); p++) params.get(p).tensor().setReadHook(m.hook(p, params.get(p).decay()));
            return f.loss();
        } finally {
            for (Param p : params) p.tensor().setReadHook(null);
        }
    }
}
