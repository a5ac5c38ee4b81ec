package dev.zotune.train;

import dev.zotune.model.Batch;
import dev.zotune.model.TransformerModel;
import dev.zotune.optim.Objective;
import dev.zotune.optim.Param;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;

import java.util.List;

/** The loss of one batch under a loss head, as a function of {@code params}: what an optimizer step evaluates. */
public record BatchObjective(TransformerModel model, Batch batch, LossHead head, List<Param> params) implements Objective {
    /** One forward pass; the output rows are released before returning. */
    @Override
    public double loss() {
        float[] out = model.forward(batch);
        try {
            return head.loss(out, null);
        } finally {
            Memory.release(Memory.Category.ACTIVATIONS, out);
        }
    }

    @Override
    public double lossAndGradient(List<float[]> grads) {
        return model.lossAndGradient(batch, head, params, grads);
    }

    @Override
    public double[] lossAndJvp(List<Tensor> tangents) {
        return model.lossAndJvp(batch, head, params, tangents);
    }
}
