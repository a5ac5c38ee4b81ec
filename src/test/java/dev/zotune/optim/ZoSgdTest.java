package dev.zotune.optim;

import dev.zotune.Shared;
import dev.zotune.io.SafeTensors;
import dev.zotune.io.SafetensorsCheckpoint;
import dev.zotune.model.Batch;
import dev.zotune.model.Loss;
import dev.zotune.model.Models;
import dev.zotune.model.TransformerModel;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A ZO-SGD step on a real model equals the MeZO formula computed independently, element for element. */
class ZoSgdTest {
    @TempDir Path tmp;
    private static final int[] IDS = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421};

    private static double loss(TransformerModel m) {
        float[] logits = m.forward(Batch.of(IDS));
        double l = Loss.causalLm(logits, 1, IDS.length, m.outputDim(), IDS);
        Memory.release(Memory.Category.ACTIVATIONS, logits);
        return l;
    }

    /** The model's loss as an objective of ZO steps (forwards only). */
    private static Objective objective(TransformerModel m) {
        return new Objective() {
            @Override public double loss() { return ZoSgdTest.loss(m); }
            @Override public double lossAndGradient(List<float[]> grads) { throw new UnsupportedOperationException(); }
            @Override public double[] lossAndJvp(List<Tensor> tangents) { throw new UnsupportedOperationException(); }
        };
    }

    @Test
    void stepMatchesTheFormula() throws Exception {
        Path src = Shared.path("models/stories260K-hf");
        long seed = 99;
        float eps = 1e-3f;
        double lr = 1e-3;
        try (TransformerModel m = Models.of(new SafetensorsCheckpoint(src, true))) {
            List<String> names = new ArrayList<>(m.checkpoint().names());
            List<Param> params = names.stream().map(n -> new Param(n, m.checkpoint().tensor(n), true)).toList();
            List<float[]> before = params.stream().map(p -> p.tensor().toFloats()).toList();

            StepRecord step = Optimizers.create("zo-sgd", params, OptimizerConfig.defaults().withEps(eps)).step(objective(m), 0, seed, lr);

            double plus = lossOfCopy(src, names, before, seed, eps), minus = lossOfCopy(src, names, before, seed, -eps);
            assertEquals((plus + minus) / 2, step.loss());
            double g = (plus - minus) / (2.0 * eps);
            assertEquals(g, step.projectedGradients()[0]);
            float scale = (float) (-lr * g);
            for (int i = 0; i < params.size(); i++) {
                float[] now = params.get(i).tensor().toFloats();
                for (int k = 0; k < now.length; k++)
                    assertEquals(Math.fma(scale, Reference.z(seed, i, k), before.get(i)[k]), now[k], names.get(i) + "[" + k + "]");
            }
        }
        try (TransformerModel again = Models.load(src.toString())) {
            assertEquals(loss(again), lossOfCopy(src, List.of(), List.of(), 0, 0f), "the file on disk is untouched");
        }
    }

    /** The loss of an explicitly perturbed copy θ + eps·z(seed), written out and loaded afresh. */
    private double lossOfCopy(Path src, List<String> names, List<float[]> theta, long seed, float eps) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "copy");
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        if (names.isEmpty()) Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        else {
            Map<String, Tensor> moved = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                float[] v = theta.get(i).clone();
                for (int k = 0; k < v.length; k++) v[k] = Math.fma(eps, Reference.z(seed, i, k), v[k]);
                moved.put(names.get(i), Tensor.of(v, shapeOf(src, names.get(i))));
            }
            SafeTensors.write(dir.resolve("model.safetensors"), moved);
        }
        try (TransformerModel m = Models.load(dir.toString())) {
            return loss(m);
        }
    }

    private static long[] shapeOf(Path src, String name) {
        try (SafetensorsCheckpoint ck = new SafetensorsCheckpoint(src)) {
            return ck.tensor(name).shape();
        }
    }
}
