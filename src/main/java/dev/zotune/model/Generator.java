package dev.zotune.model;

import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.Memory;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * Greedy decoding with a KV cache: the prompt in one forward, then one token per forward. A
 * prefix-tuned model, whose prefix keys the cache does not hold, decodes without one (the whole
 * sequence again each step: the same tokens, more work).
 */
public final class Generator {
    private Generator() {}

    /**
     * Returns the prompt followed by up to {@code maxNew} greedy tokens, stopping after {@code eos}
     * (when ≥ 0). Each new token is passed to {@code onToken} as it is chosen.
     */
    public static int[] greedy(TransformerModel model, int[] prompt, int maxNew, int eos, IntConsumer onToken) {
        if (model.head() != TransformerModel.Head.CAUSAL_LM)
            throw new ZotuneException(model.config().modelType() + ": generation needs a causal LM");
        if (prompt.length == 0) throw new ZotuneException("generate: the prompt is empty");
        int extra = model.virtualTokens();
        int total = Math.min(prompt.length + maxNew, model.config().maxPositions() - extra);
        int[] out = Arrays.copyOf(prompt, total);
        int V = model.outputDim(), n = prompt.length;
        boolean cached = model.decodesWithCache();
        try (KvCache cache = cached ? model.newCache(1, total + extra) : null) {
            float[] logits = model.forward(Batch.of(prompt), cache);
            while (n < total) {
                int next = argmax(logits, (logits.length / V - 1) * V, V);
                Memory.release(Memory.Category.ACTIVATIONS, logits);
                out[n++] = next;
                onToken.accept(next);
                if (next == eos || n == total) return Arrays.copyOf(out, n);
                logits = model.forward(cached ? Batch.of(next) : Batch.of(Arrays.copyOf(out, n)), cache);
            }
            Memory.release(Memory.Category.ACTIVATIONS, logits);
        }
        return Arrays.copyOf(out, n);
    }

    /** Index of the first maximum of a[off..off+n), as torch.argmax. */
    public static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
        return best;
    }
}
