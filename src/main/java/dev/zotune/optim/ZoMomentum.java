package dev.zotune.optim;

import dev.zotune.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * ZO-SGD-MMT, heavy-ball momentum as torch.optim.SGD applies it, in fp32 per element:
 * u = d + wd·θ (decay parameters, fma), m ← fma(β, m, u), θ ← fma(−lr, m, θ), with
 * d = (1/q)·Σ g_i·z_i built per chunk in scratch. State: m ("m.<param>"), one per parameter.
 */
final class ZoMomentum extends ZoOptimizer {
    private final StateTensors m;

    ZoMomentum(List<Param> params, OptimizerConfig c) {
        super("zo-sgd-mmt", params, c);
        m = new StateTensors("m", params);
    }

    @Override
    void apply(StepRecord r) {
        ZoDirection dir = direction(r);
        List<Param> params = update.params();
        float beta = (float) config.momentum(), wd = (float) config.weightDecay(), lr = (float) r.lr();
        update.run(dir::fill, (p, from, theta, d, len) -> {
            float[] mp = m.of(p);
            boolean decay = params.get(p).decay() && wd > 0;
            for (int k = 0; k < len; k++) {
                float u = decay ? Math.fma(wd, theta[k], d[k]) : d[k];
                mp[from + k] = Math.fma(beta, mp[from + k], u);
                theta[k] = Math.fma(-lr, mp[from + k], theta[k]);
            }
        });
    }

    @Override
    public Map<String, Tensor> state() { return m.tensors(); }

    @Override
    public void close() { m.release(); }
}
