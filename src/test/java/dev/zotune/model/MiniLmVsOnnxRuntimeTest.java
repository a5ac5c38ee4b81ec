package dev.zotune.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.zotune.io.builtin.MiniLmCheckpoint;
import dev.zotune.io.TextTokenizer;
import dev.zotune.tensor.Memory;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The built-in MiniLM against an independent engine: ONNX Runtime on the same ONNX file gives
 * the same last_hidden_state, for a padded batch of sentences of varied length.
 */
class MiniLmVsOnnxRuntimeTest {
    static final List<String> SENTENCES = List.of(
            "A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
            "A man is riding a horse.", "A woman is playing violin.", "Two men pushed carts through the woods.",
            "A man is riding a white horse on an enclosed ground.", "A monkey is playing drums.",
            "Someone in a gorilla costume is playing a set of drums.", "hi",
            "The quick brown fox jumps over the lazy dog.", "Zeroth-order optimisers estimate gradients from two forward passes.",
            "It was a dark and stormy night; the rain fell in torrents, except at occasional intervals, when it was checked "
                    + "by a violent gust of wind which swept up the streets.",
            "Paris is the capital of France.", "I loved this movie!", "The film was a complete waste of time.",
            "Café, naïve, façade: accents are stripped by the uncased tokenizer.", "1234567890 and 3.14159",
            "東京は日本の首都です。", "Емельян поехал в Москву.", "Emoji 🙂 and symbols ©®™ and tabs\tand\nnewlines.",
            "Short.", "A long list of words: alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau");

    @Test
    void lastHiddenStateMatchesOnnxRuntime() throws Exception {
        try (TransformerModel model = Models.load(Models.MINILM); TextTokenizer tok = Models.tokenizer(Models.MINILM)) {
            int[][] ids = tok.encodeBatch(SENTENCES);
            int B = ids.length, T = 0, H = model.outputDim();
            for (int[] r : ids) T = Math.max(T, r.length);
            long[][] inIds = new long[B][T], inMask = new long[B][T], inTypes = new long[B][T];
            int[] flat = new int[B * T], mask = new int[B * T];
            for (int b = 0; b < B; b++)
                for (int t = 0; t < ids[b].length; t++) {
                    inIds[b][t] = flat[b * T + t] = ids[b][t];
                    inMask[b][t] = mask[b * T + t] = 1;
                }
            float[] ours = model.forward(new Batch(B, T, flat, mask, null));

            OrtEnvironment env = OrtEnvironment.getEnvironment();
            byte[] onnx;
            try (InputStream in = MiniLmCheckpoint.class.getClassLoader().getResourceAsStream(MiniLmCheckpoint.MODEL_RESOURCE)) {
                onnx = in.readAllBytes();
            }
            try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions());
                 OnnxTensor a = OnnxTensor.createTensor(env, inIds);
                 OnnxTensor m = OnnxTensor.createTensor(env, inMask);
                 OnnxTensor ty = OnnxTensor.createTensor(env, inTypes);
                 OrtSession.Result r = s.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", ty))) {
                float[][][] ref = (float[][][]) r.get("last_hidden_state").orElseThrow().getValue();
                double worst = 0;
                for (int b = 0; b < B; b++)
                    for (int t = 0; t < T; t++)
                        for (int i = 0; i < H; i++) {
                            double d = Math.abs(ours[(b * T + t) * H + i] - ref[b][t][i]);
                            worst = Math.max(worst, d);
                            assertTrue(d <= 1e-4, "sentence " + b + " token " + t + " dim " + i + ": " + ours[(b * T + t) * H + i] + " vs " + ref[b][t][i]);
                        }
                System.out.printf("MiniLM vs ONNX Runtime: %d sentences, max |diff| = %.2e%n", B, worst);
            }
            Memory.release(Memory.Category.ACTIVATIONS, ours);
        }
    }
}
