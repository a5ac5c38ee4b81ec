package dev.zotune.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.Shared;
import dev.zotune.io.SafeTensors;
import dev.zotune.io.SafetensorsCheckpoint;
import dev.zotune.optim.Param;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;
import dev.zotune.train.LossHead;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every HF conformance case: reverse-mode gradients of every parameter tensor and the
 * forward-mode JVP along the fixture's tangent, within the manifest's tolerances.
 */
class GradientConformanceTest {

    @ParameterizedTest
    @ValueSource(strings = {"opt-pre-ln", "opt-post-ln-project", "llama-gqa", "llama-mha-tied", "mistral-sliding", "roberta-mlm", "bert-mlm"})
    void gradientsAndJvpMatchHuggingFace(String name) {
        Path dir = Shared.path("conformance/" + name);
        JsonNode tol = SafetensorsCheckpoint.readJson(dir.resolve("manifest.json")).path("tolerances");
        try (Arena arena = Arena.ofShared(); TransformerModel model = Models.load(dir.toString())) {
            Map<String, Tensor> exp = SafeTensors.map(dir.resolve("expected.safetensors"), arena).tensors();
            Batch batch = Fixtures.batch(exp);
            LossHead head = Loss.lm(batch.batch(), batch.seqLen(), model.outputDim(), exp.get("labels").toInts(), model.config().isDecoder());
            List<Param> params = new ArrayList<>();
            List<float[]> grads = new ArrayList<>();
            List<Tensor> tangents = new ArrayList<>();
            for (String n : model.checkpoint().names()) {
                params.add(new Param(n, model.tensor(n), true));
                grads.add(new float[(int) model.tensor(n).numel()]);
                tangents.add(exp.get("tangent." + n));
            }
            double wantLoss = exp.get("loss").toFloats()[0];
            double lossTol = tol.path("loss").path("atol").asDouble() + tol.path("loss").path("rtol").asDouble() * Math.abs(wantLoss);

            long before = Memory.current(Memory.Category.ACTIVATIONS);
            double loss = model.lossAndGradient(batch, head, params, grads);
            assertEquals(before, Memory.current(Memory.Category.ACTIVATIONS), name + ": backward releases what it allocates");
            assertEquals(wantLoss, loss, lossTol, name + ": loss");
            double gAtol = tol.path("grad").path("atol").asDouble(), gRtol = tol.path("grad").path("rtol").asDouble();
            for (int i = 0; i < params.size(); i++) {
                String n = params.get(i).name();
                float[] want = exp.get("grad." + n).toFloats(), got = grads.get(i);
                double maxRef = 0, maxDiff = 0;
                for (int j = 0; j < want.length; j++) {
                    maxRef = Math.max(maxRef, Math.abs(want[j]));
                    maxDiff = Math.max(maxDiff, Math.abs(got[j] - want[j]));
                }
                assertTrue(maxDiff <= gAtol + gRtol * maxRef, name + ": grad." + n + " max |diff| " + maxDiff + " (max |ref| " + maxRef + ")");
            }

            double[] lj = model.lossAndJvp(batch, head, params, tangents);
            assertEquals(before, Memory.current(Memory.Category.ACTIVATIONS), name + ": JVP releases what it allocates");
            assertEquals(wantLoss, lj[0], lossTol, name + ": loss (JVP pass)");
            double wantJvp = exp.get("jvp").toFloats()[0];
            assertEquals(wantJvp, lj[1], tol.path("jvp").path("atol").asDouble() + tol.path("jvp").path("rtol").asDouble() * Math.abs(wantJvp), name + ": jvp");
        }
    }
}
