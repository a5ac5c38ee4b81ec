package dev.zotune.model;

import dev.zotune.io.TextTokenizer;
import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.Memory;

import java.util.List;

/**
 * Sentence embeddings as sentence-transformers computes them for all-MiniLM-L6-v2: the encoder's
 * last hidden states, mean-pooled over real tokens, then L2-normalised.
 */
public final class SentenceEmbedder {
    private SentenceEmbedder() {}

    public static float[][] embed(TransformerModel model, TextTokenizer tok, List<String> texts) {
        if (model.head() != TransformerModel.Head.ENCODER)
            throw new ZotuneException(model.config().modelType() + ": sentence embeddings need a bare encoder (e.g. --model minilm)");
        int[][] ids = tok.encodeBatch(texts);
        int T = 0;
        for (int[] row : ids) T = Math.max(T, row.length);
        if (T > model.config().maxPositions())
            throw new ZotuneException("embed: a text has " + T + " tokens, more than the model's " + model.config().maxPositions());
        int B = ids.length, H = model.outputDim(), pad = Math.max(model.config().padTokenId(), 0);
        int[] flat = new int[B * T], mask = new int[B * T];
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) {
                boolean real = t < ids[b].length;
                flat[b * T + t] = real ? ids[b][t] : pad;
                mask[b * T + t] = real ? 1 : 0;
            }
        float[] hidden = model.forward(new Batch(B, T, flat, mask, null));
        float[][] out = new float[B][H];
        for (int b = 0; b < B; b++) {
            double[] sum = new double[H];
            for (int t = 0; t < ids[b].length; t++)
                for (int i = 0; i < H; i++) sum[i] += hidden[(b * T + t) * H + i];
            double norm = 0;
            for (int i = 0; i < H; i++) { sum[i] /= ids[b].length; norm += sum[i] * sum[i]; }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            for (int i = 0; i < H; i++) out[b][i] = (float) (sum[i] / norm);
        }
        Memory.release(Memory.Category.ACTIVATIONS, hidden);
        return out;
    }
}
