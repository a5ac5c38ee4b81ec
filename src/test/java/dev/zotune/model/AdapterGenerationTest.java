package dev.zotune.model;

import dev.zotune.Shared;
import dev.zotune.tensor.Memory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Greedy decoding of prompt- and prefix-tuned models (SQuAD evaluates this way): 60 new tokens,
 * the same as choosing each token from a full forward of the whole sequence so far.
 */
class AdapterGenerationTest {
    @ParameterizedTest
    @ValueSource(strings = {"prompt", "prefix", "lora"})
    void generationMatchesFullForwards(String scheme) {
        try (TransformerModel m = Models.load(Shared.path("models/stories260K-hf").toString())) {
            Scheme.of(scheme).apply(m, Scheme.Options.defaults(), 5);
            int[] prompt = {1, 403, 407, 261, 378};
            int[] got = Generator.greedy(m, prompt, 60, -1, t -> {});
            int[] want = Arrays.copyOf(prompt, prompt.length + 60);
            int V = m.outputDim();
            for (int n = prompt.length; n < want.length; n++) {
                float[] logits = m.forward(Batch.of(Arrays.copyOf(want, n)));
                want[n] = Generator.argmax(logits, (n - 1) * V, V);
                Memory.release(Memory.Category.ACTIVATIONS, logits);
            }
            assertArrayEquals(want, got, scheme);
        }
    }
}
