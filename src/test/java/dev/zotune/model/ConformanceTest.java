package dev.zotune.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.Shared;
import dev.zotune.io.SafeTensors;
import dev.zotune.io.SafetensorsCheckpoint;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every HF conformance case: logits and loss within the manifest's tolerances. */
class ConformanceTest {
    @ParameterizedTest
    @ValueSource(strings = {"opt-pre-ln", "opt-post-ln-project", "llama-gqa", "llama-mha-tied", "mistral-sliding", "roberta-mlm", "bert-mlm"})
    void logitsAndLossMatchHuggingFace(String name) {
        Path dir = Shared.path("conformance/" + name);
        JsonNode tol = SafetensorsCheckpoint.readJson(dir.resolve("manifest.json")).path("tolerances");
        try (Arena arena = Arena.ofConfined(); TransformerModel model = Models.load(dir.toString())) {
            Map<String, Tensor> exp = SafeTensors.map(dir.resolve("expected.safetensors"), arena).tensors();
            Batch batch = Fixtures.batch(exp);
            float[] logits = model.forward(batch);
            float[] want = exp.get("logits").toFloats();
            int V = model.outputDim();
            assertEquals(want.length, logits.length);
            double atol = tol.path("logits").path("atol").asDouble(), rtol = tol.path("logits").path("rtol").asDouble();
            int[] mask = batch.attentionMask();
            int compared = 0;
            for (int r = 0; r < batch.rows(); r++) {
                if (model.config().isDecoder() && mask[r] == 0) continue;
                for (int v = 0; v < V; v++) {
                    float a = logits[r * V + v], b = want[r * V + v];
                    assertTrue(Math.abs(a - b) <= atol + rtol * Math.abs(b),
                            name + ": logit[" + r + "," + v + "] = " + a + ", expected " + b);
                    compared++;
                }
            }
            assertTrue(compared > 0);
            int[] labels = exp.get("labels").toInts();
            double loss = model.config().isDecoder()
                    ? Loss.causalLm(logits, batch.batch(), batch.seqLen(), V, labels)
                    : Loss.maskedLm(logits, batch.batch(), batch.seqLen(), V, labels);
            double wantLoss = exp.get("loss").toFloats()[0];
            assertEquals(wantLoss, loss, tol.path("loss").path("atol").asDouble() + tol.path("loss").path("rtol").asDouble() * Math.abs(wantLoss), name + ": loss");
            Memory.release(Memory.Category.ACTIVATIONS, logits);
        }
    }
}
