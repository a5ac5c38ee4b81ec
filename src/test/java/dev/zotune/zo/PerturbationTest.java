package dev.zotune.zo;

import dev.zotune.Shared;
import dev.zotune.io.SafeTensors;
import dev.zotune.model.Batch;
import dev.zotune.model.Models;
import dev.zotune.model.TransformerModel;
import dev.zotune.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Perturbing on read is exactly a forward of the perturbed weights, and never changes the stored
 * weights' bits: the property replay and multi-machine training rest on.
 */
class PerturbationTest {
    @TempDir Path tmp;

    @Test
    void perturbedReadsEqualAPerturbedCopyAndLeaveWeightsUntouched() throws Exception {
        Path src = Shared.path("models/stories260K-hf");
        int[] ids = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376};
        long seed = 20241217L;
        float eps = 1e-2f;
        Path copy = Files.createDirectories(tmp.resolve("perturbed"));
        Files.copy(src.resolve("config.json"), copy.resolve("config.json"));
        try (TransformerModel model = Models.load(src.toString())) {
            List<String> names = new ArrayList<>(model.checkpoint().names());
            List<Tensor> params = names.stream().map(model.checkpoint()::tensor).toList();
            List<byte[]> before = params.stream().map(t -> t.segment().toArray(ValueLayout.JAVA_BYTE)).toList();

            float[] plain = model.forward(Batch.of(ids));
            float[] perturbed;
            try (Perturbation p = Perturbation.open(params, seed, eps)) {
                perturbed = model.forward(Batch.of(ids));
            }
            assertArrayEquals(plain, model.forward(Batch.of(ids)), "reads are plain again after close");
            for (int i = 0; i < params.size(); i++)
                assertArrayEquals(before.get(i), params.get(i).segment().toArray(ValueLayout.JAVA_BYTE), names.get(i) + " bits changed");

            Map<String, Tensor> moved = new LinkedHashMap<>();
            for (int i = 0; i < params.size(); i++) {
                float[] v = params.get(i).toFloats();
                GaussianNoise.addScaled(seed, i, 0, eps, v, 0, v.length);
                moved.put(names.get(i), new Tensor(params.get(i).dtype(), params.get(i).shape(), MemorySegment.ofArray(v)));
            }
            SafeTensors.write(copy.resolve("model.safetensors"), moved);
            try (TransformerModel explicit = Models.load(copy.toString())) {
                assertArrayEquals(explicit.forward(Batch.of(ids)), perturbed);
            }
            assertFalse(java.util.Arrays.equals(plain, perturbed));
        }
    }
}
