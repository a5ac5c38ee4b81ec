package dev.zotune.optim;

import java.util.List;

/** ZO-SGD (MeZO): θ ← θ − lr·(d + wd·θ), d = (1/q)·Σ g_i·z_i, fused as {@link SgdMove} describes. No state. */
class ZoSgd extends ZoOptimizer {
    ZoSgd(String name, List<Param> params, OptimizerConfig c) { super(name, params, c); }

    @Override
    void apply(StepRecord r) {
        new SgdMove(direction(r), -r.lr(), config.weightDecay()).write(update);
    }
}
