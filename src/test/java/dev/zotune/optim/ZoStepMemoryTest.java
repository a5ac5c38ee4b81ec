package dev.zotune.optim;

import dev.zotune.model.Batch;
import dev.zotune.model.Loss;
import dev.zotune.model.Models;
import dev.zotune.model.Scheme;
import dev.zotune.model.TransformerModel;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;
import dev.zotune.train.LossHead;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory is the product: a ZO-SGD full fine-tuning step of the built-in MiniLM peaks at most 1%
 * above an inference forward of the same batch, and allocates no buffer anywhere near the size of
 * a parameter (no gradients, no optimizer state, no z, no weight copies).
 */
class ZoStepMemoryTest {
    @Test
    void zoSgdStepStaysAtInferenceMemory() {
        try (TransformerModel m = Models.loadWritable(Models.MINILM)) {
            m.addClassifier(2, 1);
            List<Param> params = Scheme.FT.apply(m, Scheme.Options.defaults(), 1);
            int B = 8, T = 24;
            int[] ids = new int[B * T];
            for (int i = 0; i < ids.length; i++) ids[i] = 1000 + (i * 7919) % 20000;
            Batch batch = new Batch(B, T, ids, null, null);
            LossHead head = (out, dOut) -> {
                double l = 0;
                for (int b = 0; b < B; b++) l -= Loss.logProb(out, b, 2, b % 2) / B;
                return l;
            };
            Objective f = new Objective() {
                public double loss() {
                    float[] out = m.forward(batch);
                    try { return head.loss(out, null); } finally { Memory.release(Memory.Category.ACTIVATIONS, out); }
                }
                public double lossAndGradient(List<float[]> grads) { throw new AssertionError("a ZO step takes no gradient"); }
                public double[] lossAndJvp(List<Tensor> tangents) { throw new AssertionError("a ZO step takes no JVP"); }
            };

            Memory.resetPeaks();
            f.loss();
            long inference = Memory.totalPeak();
            try (Optimizer zo = Optimizers.create("zo-sgd", params, OptimizerConfig.defaults())) {
                Memory.resetPeaks();
                zo.step(f, 0, 42, 1e-6);
                long step = Memory.totalPeak();
                long largestParam = params.stream().mapToLong(p -> p.tensor().byteSize()).max().orElseThrow();
                int H = m.config().hidden();   // the smallest linear layer: a 384 × 384 attention projection
                long smallestMatrix = params.stream().filter(p -> p.tensor().rank() == 2 && Math.min(p.tensor().dim(0), p.tensor().dim(1)) >= H)
                        .mapToLong(p -> p.tensor().byteSize()).min().orElseThrow();
                assertTrue(step <= inference * 1.01, "ZO step peak " + step + " B vs inference " + inference + " B");
                assertTrue(step - inference < smallestMatrix, "the step allocated " + (step - inference)
                        + " B beyond inference; the smallest linear layer is " + smallestMatrix + " B, the largest parameter " + largestParam + " B");
                assertEquals(Memory.current(Memory.Category.GRADIENTS), Memory.peak(Memory.Category.GRADIENTS), "no gradient buffer");
                assertEquals(Memory.current(Memory.Category.OPTIMIZER_STATE), Memory.peak(Memory.Category.OPTIMIZER_STATE), "no optimizer state");
            }
        }
    }
}
