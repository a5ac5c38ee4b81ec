package dev.zotune.model;

import dev.zotune.Shared;
import dev.zotune.optim.Param;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;
import dev.zotune.train.LossHead;
import dev.zotune.zo.GaussianNoise;
import dev.zotune.zo.Perturbation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fine-tuning schemes' modules (LoRA, prefix, prompt, head, classifier) differentiated three
 * independent ways: reverse mode, forward mode and central finite differences of the loss along
 * a random direction (read through a perturbation, so the weights never move). Finite
 * differences need a smooth loss: OPT's ReLU puts kinks within reach of the step for prompt
 * tuning (measured: the difference quotient drifts from 0.29 to 0.11 as the step shrinks, around
 * a JVP of 0.133), so OPT's prompt path is covered by the conformance-checked ops instead.
 */
class SchemeGradientTest {
    @ParameterizedTest
    @CsvSource({"conformance/llama-gqa, lora", "conformance/llama-gqa, prefix", "conformance/llama-gqa, prompt",
            "conformance/opt-post-ln-project, lora", "conformance/opt-pre-ln, prefix", "conformance/llama-mha-tied, prompt",
            "conformance/mistral-sliding, prefix", "conformance/roberta-mlm, prefix", "conformance/bert-mlm, prompt",
            "conformance/bert-mlm, lora", "conformance/bert-mlm, head", "conformance/llama-gqa, head", "minilm, lora",
            "minilm, head", "conformance/opt-pre-ln, ft"})
    void reverseForwardAndFiniteDifferencesAgree(String spec, String scheme) {
        String path = spec.startsWith("conformance/") ? Shared.path(spec).toString() : spec;
        try (TransformerModel m = scheme.equals("ft") ? Models.loadWritable(path) : Models.load(path)) {
            if (m.head() == TransformerModel.Head.ENCODER) m.addClassifier(3, 11);
            List<Param> params = Scheme.of(scheme).apply(m, Scheme.Options.defaults(), 7);
            assertFalse(params.isEmpty());
            for (Param p : params)   // LoRA's B starts at zero, which would hide A's gradient
                if (p.name().endsWith(".lora_B")) GaussianNoise.addScaled(3, 0, 0, 0.1f, floats(p.tensor()), 0, (int) p.tensor().numel());
            int B = 2, T = 7, V = m.config().vocabSize();
            int[] ids = new int[B * T], mask = new int[B * T];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = 4 + (i * 37) % (V - 4);
                mask[i] = i % T >= (i / T) * 2 ? 1 : 0;   // second row padded (left for decoders, harmless for encoders)
            }
            if (!m.config().isDecoder()) for (int i = 0; i < ids.length; i++) mask[i] = i % T < T - (i / T) * 2 ? 1 : 0;
            Batch batch = new Batch(B, T, ids, mask, null);
            LossHead head = lossHead(m, B, T, ids, mask);

            List<float[]> grads = new ArrayList<>();
            List<Tensor> tangents = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                int n = (int) params.get(i).tensor().numel();
                grads.add(new float[n]);
                float[] z = new float[n];
                GaussianNoise.fill(99, i, 0, z, 0, n);
                tangents.add(Tensor.of(z, params.get(i).tensor().shape()));
            }
            double loss = m.lossAndGradient(batch, head, params, grads);
            double[] lj = m.lossAndJvp(batch, head, params, tangents);
            double dot = 0;
            for (int i = 0; i < params.size(); i++) {
                float[] z = floats(tangents.get(i));
                for (int j = 0; j < z.length; j++) dot += (double) grads.get(i)[j] * z[j];
            }
            assertEquals(loss, lj[0], 1e-6 * Math.abs(loss), "loss: reverse vs forward pass");
            assertTrue(Math.abs(dot) > 1e-6, "a non-trivial directional derivative: " + dot);
            assertEquals(dot, lj[1], 1e-4 * Math.abs(dot) + 1e-6, "⟨∇L, t⟩ vs forward-mode JVP");

            List<Tensor> trainable = params.stream().map(Param::tensor).toList();
            long n = params.stream().mapToLong(p -> p.tensor().numel()).sum();
            float h = (float) (1e-2 / Math.sqrt(n));   // a step of norm ≈ 0.01: small against curvature, large against fp32 rounding
            double up, down;
            try (Perturbation p = Perturbation.open(trainable, 99, h)) { up = loss(m, batch, head); }
            try (Perturbation p = Perturbation.open(trainable, 99, -h)) { down = loss(m, batch, head); }
            double fd = (up - down) / (2 * h);
            assertEquals(lj[1], fd, 1e-2 * Math.abs(lj[1]) + 2e-3, "JVP vs central finite difference");
        }
    }

    /** LM loss on every real position (masked LMs: unshifted), or cross-entropy on class 1 for a classifier. */
    private static LossHead lossHead(TransformerModel m, int B, int T, int[] ids, int[] mask) {
        if (m.head() == TransformerModel.Head.CLASSIFIER)
            return (out, dOut) -> {
                double l = 0;
                for (int b = 0; b < B; b++) {
                    l -= Loss.logProb(out, b, 3, 1) / B;
                    if (dOut != null) Loss.addLogProbGradient(out, b * 3, 3, 1, -1.0 / B, dOut);
                }
                return l;
            };
        int[] labels = new int[B * T];
        for (int i = 0; i < labels.length; i++) labels[i] = mask[i] != 0 ? ids[i] : Loss.IGNORE;
        return Loss.lm(B, T, m.outputDim(), labels, m.config().isDecoder());
    }

    private static double loss(TransformerModel m, Batch b, LossHead head) {
        float[] out = m.forward(b);
        try {
            return head.loss(out, null);
        } finally {
            Memory.release(Memory.Category.ACTIVATIONS, out);
        }
    }

    private static float[] floats(Tensor t) { return (float[]) t.segment().heapBase().orElseThrow(); }
}
