package dev.zotune.optim;

import dev.zotune.tensor.Tensor;

import java.util.List;
import java.util.Map;

/** FO-Adam: {@link AdamW} (decoupled weight decay, as the HF Trainer) fed with the clipped backprop gradient. */
final class FoAdam extends FoOptimizer {
    private final AdamW adam;

    FoAdam(List<Param> params, OptimizerConfig c) {
        super("fo-adam", params, c);
        adam = new AdamW(update.params(), c);
    }

    @Override
    void apply(ChunkedUpdate.Source gradient, double lr) { adam.update(update, gradient, lr); }

    @Override
    public Map<String, Tensor> state() { return adam.state(); }

    @Override
    public void close() {
        super.close();
        adam.release();
    }
}
