package dev.zotune.optim;

import dev.zotune.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * ZO-Adam: {@link AdamW} fed with the ZO direction d = (1/q)·Σ g_i·z_i as its gradient, d built
 * per chunk in scratch. State: m, v (one each per parameter) and the update count.
 */
final class ZoAdam extends ZoOptimizer {
    private final AdamW adam;

    ZoAdam(List<Param> params, OptimizerConfig c) {
        super("zo-adam", params, c);
        adam = new AdamW(update.params(), c);
    }

    @Override
    void apply(StepRecord r) {
        adam.update(update, direction(r)::fill, r.lr());
    }

    @Override
    public Map<String, Tensor> state() { return adam.state(); }

    @Override
    public void close() { adam.release(); }
}
