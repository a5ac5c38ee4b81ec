package dev.zotune.optim;

import java.util.List;

/**
 * ZO-SGD-Sign: θ ← θ − lr·(d + wd·θ) with d = (1/q)·Σ sign(g_i)·z_i, the sign of each scalar
 * projected gradient (not elementwise); fused as {@link SgdMove} describes. No state.
 */
final class ZoSign extends ZoOptimizer {
    ZoSign(List<Param> params, OptimizerConfig c) { super("zo-sgd-sign", params, c); }

    @Override
    void apply(StepRecord r) {
        new SgdMove(ZoDirection.meanSign(r.seed(), r.projectedGradients()), -r.lr(), config.weightDecay()).write(update);
    }
}
