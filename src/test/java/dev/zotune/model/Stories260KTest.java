package dev.zotune.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.Shared;
import dev.zotune.io.SafeTensors;
import dev.zotune.io.SafetensorsCheckpoint;
import dev.zotune.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Karpathy's stories260K in HF LLaMA layout: a real pretrained model with reference outputs. */
class Stories260KTest {
    private final Path dir = Shared.path("models/stories260K-hf");

    @Test
    void teacherForcedLogitsAndLossMatchReference() {
        try (Arena arena = Arena.ofConfined(); TransformerModel model = Models.load(dir.toString())) {
            Map<String, Tensor> exp = SafeTensors.map(dir.resolve("expected.safetensors"), arena).tensors();
            Batch b = Fixtures.batch(exp);
            float[] logits = model.forward(b);
            float[] want = exp.get("logits").toFloats();
            for (int i = 0; i < want.length; i++)
                assertTrue(Math.abs(logits[i] - want[i]) <= 1e-4 + 1e-4 * Math.abs(want[i]), "logit " + i + ": " + logits[i] + " vs " + want[i]);
            double loss = Loss.causalLm(logits, 1, b.seqLen(), model.outputDim(), exp.get("labels").toInts());
            double wantLoss = exp.get("loss").toFloats()[0];
            assertEquals(wantLoss, loss, 1e-5 + 1e-5 * wantLoss);
        }
    }

    @Test
    void greedyGenerationFromBosReproducesTheReferenceStory() {
        JsonNode ids = SafetensorsCheckpoint.readJson(dir.resolve("manifest.json")).path("greedy").path("token_ids");
        int[] want = new int[ids.size()];
        for (int i = 0; i < want.length; i++) want[i] = ids.get(i).asInt();
        try (TransformerModel model = Models.load(dir.toString())) {
            int[] got = Generator.greedy(model, new int[] {1}, want.length - 1, -1, t -> {});
            assertArrayEquals(want, got);
        }
    }

    @Test
    void cachedDecodingIsBitIdenticalToAFullForward() {
        int[] ids = {1, 403, 407, 261, 378, 432, 383, 286};
        try (TransformerModel model = Models.load(dir.toString())) {
            float[] full = model.forward(Batch.of(ids));
            int V = model.outputDim();
            try (KvCache cache = model.newCache(1, ids.length)) {
                float[] first = model.forward(Batch.of(Arrays.copyOf(ids, 3)), cache);
                assertArrayEquals(Arrays.copyOf(full, 3 * V), first);
                for (int t = 3; t < ids.length; t++) {
                    float[] step = model.forward(Batch.of(ids[t]), cache);
                    assertArrayEquals(Arrays.copyOfRange(full, t * V, (t + 1) * V), step, "position " + t);
                }
            }
        }
    }
}
