package dev.zotune.model;

import dev.zotune.Shared;
import dev.zotune.optim.Param;
import dev.zotune.tensor.Memory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every activation buffer a forward allocates is tracked and given back; the tracked peak is what
 * {@link MemoryEstimate} predicts; loading counts the checkpoint's bytes as weights.
 */
class MemoryAccountingTest {
    @ParameterizedTest
    @ValueSource(strings = {"models/stories260K-hf", "conformance/opt-pre-ln", "conformance/opt-post-ln-project",
            "conformance/bert-mlm", "conformance/roberta-mlm", "conformance/mistral-sliding"})
    void forwardReleasesWhatItAllocatesAndPeaksAsEstimated(String rel) {
        long weightsBefore = Memory.current(Memory.Category.WEIGHTS);
        try (TransformerModel m = Models.load(Shared.path(rel).toString())) {
            long bytes = m.checkpoint().names().stream().mapToLong(n -> m.checkpoint().tensor(n).byteSize()).sum();
            assertEquals(weightsBefore + bytes, Memory.current(Memory.Category.WEIGHTS));
            int B = 3, T = 12;
            int[] ids = new int[B * T];
            for (int i = 0; i < ids.length; i++) ids[i] = 3 + i % 20;
            long before = Memory.current(Memory.Category.ACTIVATIONS);
            Memory.resetPeaks();
            float[] out = m.forward(new Batch(B, T, ids, null, null));
            long peak = Memory.peak(Memory.Category.ACTIVATIONS) - before;
            assertEquals(4L * out.length, Memory.current(Memory.Category.ACTIVATIONS) - before, "only the output stays");
            Memory.release(Memory.Category.ACTIVATIONS, out);
            assertEquals(before, Memory.current(Memory.Category.ACTIVATIONS));
            long estimate = MemoryEstimate.forwardActivations(m.config(), m.outputDim(), B, T);
            assertEquals(estimate, peak, rel + ": estimated vs tracked peak");
        }
        assertEquals(weightsBefore, Memory.current(Memory.Category.WEIGHTS), "closing the model releases its weights");
    }

    @ParameterizedTest
    @ValueSource(strings = {"models/stories260K-hf", "conformance/opt-pre-ln", "conformance/opt-post-ln-project",
            "conformance/bert-mlm", "conformance/roberta-mlm", "conformance/mistral-sliding", "conformance/llama-gqa"})
    void backwardPeaksAsEstimated(String rel) {
        try (TransformerModel m = Models.load(Shared.path(rel).toString())) {
            int B = 3, T = 12;
            int[] ids = new int[B * T];
            for (int i = 0; i < ids.length; i++) ids[i] = 3 + i % 20;
            List<Param> params = new ArrayList<>();
            List<float[]> grads = new ArrayList<>();
            for (String n : m.checkpoint().names()) {
                params.add(new Param(n, m.tensor(n), true));
                grads.add(new float[(int) m.tensor(n).numel()]);
            }
            long before = Memory.current(Memory.Category.ACTIVATIONS);
            Memory.resetPeaks();
            m.lossAndGradient(new Batch(B, T, ids, null, null), Loss.lm(B, T, m.outputDim(), ids, m.config().isDecoder()), params, grads);
            long peak = Memory.peak(Memory.Category.ACTIVATIONS) - before;
            assertEquals(before, Memory.current(Memory.Category.ACTIVATIONS), "backward gives back what it allocates");
            long estimate = MemoryEstimate.backpropActivations(m.config(), m.outputDim(), B, T);
            assertTrue(estimate <= peak && estimate >= 0.8 * peak, rel + ": estimated " + estimate + " vs tracked peak " + peak);
        }
    }
}
