package dev.zotune.optim;

import java.util.List;

/** FO-SGD: θ ← θ − lr·(g + wd·θ) per element in fp32 as u = fma(wd, θ, g) (decay parameters), θ ← fma(−lr, u, θ); g clipped. */
final class FoSgd extends FoOptimizer {
    FoSgd(List<Param> params, OptimizerConfig c) { super("fo-sgd", params, c); }

    @Override
    void apply(ChunkedUpdate.Source gradient, double lr) {
        List<Param> params = update.params();
        float wd = (float) config.weightDecay(), rate = (float) lr;
        update.run(gradient, (p, from, theta, g, len) -> {
            boolean decay = params.get(p).decay() && wd > 0;
            for (int k = 0; k < len; k++) theta[k] = Math.fma(-rate, decay ? Math.fma(wd, theta[k], g[k]) : g[k], theta[k]);
        });
    }
}
