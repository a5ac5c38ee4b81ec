package dev.zotune.model;

import dev.zotune.Shared;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sequence's outputs do not depend on the padding around it: alone, and padded inside a batch
 * with a longer sequence (left padding for decoders, right padding for encoders), its real
 * positions give the same logits.
 */
class PaddingInvarianceTest {
    @ParameterizedTest
    @ValueSource(strings = {"opt-pre-ln", "opt-post-ln-project", "llama-gqa", "llama-mha-tied", "mistral-sliding", "roberta-mlm", "bert-mlm"})
    void realPositionsIgnorePadding(String name) {
        try (TransformerModel m = Models.load(Shared.path("conformance/" + name).toString())) {
            ModelConfig c = m.config();
            Random r = new Random(3);
            int shortLen = 6, T = 11, V = m.outputDim(), pad = Math.max(c.padTokenId(), 0);
            int[] shortIds = new int[shortLen];
            for (int i = 0; i < shortLen; i++) shortIds[i] = 4 + r.nextInt(c.vocabSize() - 4);
            float[] alone = m.forward(Batch.of(shortIds));

            int[] ids = new int[2 * T], mask = new int[2 * T];
            for (int t = 0; t < T; t++) { ids[t] = 4 + r.nextInt(c.vocabSize() - 4); mask[t] = 1; }
            int offset = c.isDecoder() ? T - shortLen : 0;
            for (int t = 0; t < T; t++) ids[T + t] = pad;
            for (int t = 0; t < shortLen; t++) { ids[T + offset + t] = shortIds[t]; mask[T + offset + t] = 1; }
            float[] batched = m.forward(new Batch(2, T, ids, mask, null));
            for (int t = 0; t < shortLen; t++)
                for (int v = 0; v < V; v++) {
                    float a = alone[t * V + v], b = batched[(T + offset + t) * V + v];
                    assertTrue(Math.abs(a - b) <= 1e-5 + 1e-5 * Math.abs(a), name + " position " + t + ": " + a + " vs " + b);
                }
        }
    }
}
