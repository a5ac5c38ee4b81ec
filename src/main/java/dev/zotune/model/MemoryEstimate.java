package dev.zotune.model;

import java.util.Locale;

/**
 * Peak activation bytes of the three ways a forward runs ({@code autodiff.Graph}'s modes), from the
 * config alone: each formula lists the buffers the model's forward holds at its widest moment, in
 * rows of m = batch·seqLen tokens. {@code loraRank} > 0: LoRA on the default targets (q and v).
 * Checked against the tracked peaks by MemoryAccountingTest and MemoryPlanTest.
 */
public final class MemoryEstimate {
    private MemoryEstimate() {}

    /** The widths one layer works with: hidden, intermediate, query, key/value, LoRA rank, embedding. */
    private record Widths(long H, long I, long q, long kv, long r, long E) {
        static Widths of(ModelConfig c, int loraRank) {
            return new Widths(c.hidden(), c.intermediate(), (long) c.heads() * c.headDim(), (long) c.kvHeads() * c.headDim(),
                    loraRank, c.modelType().equals("opt") ? c.wordEmbedProjDim() : c.hidden());
        }
        /** The hidden state(s) held beside q, k, v while they are computed: x, plus its norm when pre-LN. */
        long attnIn(ModelConfig c) { return c.modelType().equals("opt") && !c.layerNormBefore() || isBert(c) ? H : 2 * H; }
    }

    private static boolean isBert(ModelConfig c) { return !c.isDecoder(); }
    private static boolean finalNorm(ModelConfig c) { return c.layerNormBefore(); }

    /** Inference (and ZO) forward: exact for FT (MemoryAccountingTest). */
    public static long forwardActivations(ModelConfig c, int outputDim, int batch, int seqLen) {
        return forwardActivations(c, outputDim, batch, seqLen, 0);
    }

    public static long forwardActivations(ModelConfig c, int outputDim, int batch, int seqLen, int loraRank) {
        long m = (long) batch * seqLen;
        Widths w = Widths.of(c, loraRank);
        long H = w.H, I = w.I, q = w.q, kv = w.kv, r = w.r;
        // LoRA on v: x (norm) q k, v's base output, x·Aᵀ and its update; on q: x (norm), q's output, x·Aᵀ, update
        long lora = r == 0 ? 0 : Math.max(w.attnIn(c) + q + 3 * kv + r, w.attnIn(c) + 2 * q + r);
        long widest = switch (c.modelType()) {
            // x h q k v, then x q k v a | x h gate up | x, norm(x) | norm(x) logits
            case "llama", "mistral" -> max(2 * H + q + 2 * kv, H + 2 * q + 2 * kv, 2 * H + 2 * I, 2 * H, H + outputDim, lora);
            case "opt" -> {
                long E = w.E;   // embeddings (E) and projected (H) | x q k v a | x ln fc1 | head
                yield E != H ? max(E + H, 5 * H, 2 * H + I, E + outputDim, lora) : max(5 * H, 2 * H + I, H + outputDim, lora);
            }
            // x q k v a | x intermediate output | transform, normed transform, logits
            default -> max(5 * H, 2 * H + I, outputDim == H ? 0 : H + outputDim, lora);
        };
        return 4 * m * widest;
    }

    /** Full fine-tuning's backward: {@link #backpropActivations(ModelConfig, int, int, int, int)} without LoRA. */
    public static long backpropActivations(ModelConfig c, int outputDim, int batch, int seqLen) {
        return backpropActivations(c, outputDim, batch, seqLen, 0);
    }

    /**
     * Activation bytes a backward pass holds at its peak: every value the forward computes is kept
     * for backward (the graph's tape: per layer and token the buffers counted below, LoRA's a, B·a,
     * its scaled copy and the sum for each adapted layer, and the embeddings and head), dL/d(out)
     * from the loss head, and the node gradients alive at the widest moment of the backward walk:
     * at the head, d(out) and d(its input); in a layer, the residual stream's gradient plus the
     * gradients of the op being walked and of its inputs (max over the ops).
     */
    public static long backpropActivations(ModelConfig c, int outputDim, int batch, int seqLen, int loraRank) {
        long m = (long) batch * seqLen;
        Widths w = Widths.of(c, loraRank);
        long H = w.H, I = w.I, q = w.q, kv = w.kv, r = w.r, E = w.E;
        long lora = r == 0 ? 0 : 2 * r + 3 * q + 3 * kv;
        long layer, ends, layerGrads, headIn;
        boolean classifier = isBert(c) && outputDim != c.vocabSize();
        switch (c.modelType()) {
            case "llama", "mistral" -> {   // norm, q, roped q, k, roped k, v, a, o, +, norm, gate, up, silu·up, down, +
                layer = 6 * H + 3 * q + 3 * kv + 3 * I;
                ends = 2 * H + outputDim;
                layerGrads = max(H + 3 * I, 2 * H + 2 * I, H + 2 * q + 2 * kv, 2 * H + q + 2 * kv);
                headIn = H;
            }
            case "opt" -> {                // (norm), q, scaled q, k, v, a, o, +, (norm), fc1, relu, fc2, +, post-LN norms
                layer = 11 * H + 2 * I;
                ends = E + 2 * H + (finalNorm(c) ? H : 0) + (E != H ? H + E : 0) + outputDim;
                layerGrads = max(H + 2 * I, 5 * H);
                headIn = E;
            }
            default -> {                   // q, k, v, a, o, +, norm, intermediate, activation, output, +, norm; MLM transform
                layer = 10 * H + 2 * I;
                ends = 6 * H + (classifier ? 0 : 3 * H + outputDim);
                layerGrads = max(H + 2 * I, 5 * H);
                headIn = H;
            }
        }
        if (classifier)   // pooled, normalised and scored per sequence: batch rows, not tokens
            return 4 * (m * (c.layers() * (layer + lora) + ends + layerGrads) + batch * (2 * H + 3L * outputDim + H));
        return 4 * m * (c.layers() * (layer + lora) + ends + outputDim + max(outputDim + headIn, layerGrads));
    }

    /**
     * Forward mode (Forward-Grad): the inference forward's moments with every value's tangent beside
     * it, plus the one buffer an op allocates on top (a trainable weight's tangent product, a new
     * tangent of an activation), and at the end the output, its tangent and dL/d(out).
     * {@code weightTangents}: the base weights have tangents (full fine-tuning).
     */
    public static long jvpActivations(ModelConfig c, int outputDim, int batch, int seqLen, int loraRank, boolean weightTangents) {
        long m = (long) batch * seqLen;
        Widths w = Widths.of(c, loraRank);
        long H = w.H, I = w.I, q = w.q, kv = w.kv, r = w.r;
        long t = weightTangents ? 1 : 0;
        long in = w.attnIn(c);
        long attention = max(2 * (in + q + 2 * kv) + t * kv, 2 * (H + 2 * q + 2 * kv),
                r == 0 ? 0 : 2 * (in + q + 3 * kv + r) + kv);
        long mlp = switch (c.modelType()) {
            case "llama", "mistral" -> max(2 * (2 * H + 2 * I) + t * I, 2 * (H + 2 * I) + I);
            default -> 2 * (in + I) + I;
        };
        long head = max(2 * w.E + 2L * outputDim + t * outputDim, 3L * outputDim);
        if (isBert(c) && outputDim != c.vocabSize()) head = 0;
        return 4 * m * max(attention, mlp, head);
    }

    private static long max(long... a) {
        long m = a[0];
        for (long v : a) m = Math.max(m, v);
        return m;
    }

    /** Bytes for people: below 1 KiB as bytes, else in the largest binary unit up to TiB with one decimal (24.0 GiB). */
    public static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
