package dev.zotune.model;

/**
 * Peak activation bytes of one inference forward pass, from the config alone. It mirrors the
 * buffers each model's forward holds at once (MemoryAccountingTest checks it equals the tracked
 * peak): the widest moment of the attention block, the MLP block and the output head.
 */
public final class MemoryEstimate {
    private MemoryEstimate() {}

    public static long forwardActivations(ModelConfig c, int outputDim, int batch, int seqLen) {
        long m = (long) batch * seqLen, H = c.hidden(), I = c.intermediate();
        long q = (long) c.heads() * c.headDim(), kv = (long) c.kvHeads() * c.headDim();
        long widest = switch (c.modelType()) {
            // x h q k v, then x q k v a | x h gate up | x, norm(x) | norm(x) logits
            case "llama", "mistral" -> max(2 * H + q + 2 * kv, H + 2 * q + 2 * kv, 2 * H + 2 * I, 2 * H, H + outputDim);
            case "opt" -> {
                long E = c.wordEmbedProjDim();   // embeddings (E) and projected (H) | x q k v a | x ln fc1 | head
                yield E != H ? max(E + H, 5 * H, 2 * H + I, E + outputDim) : max(5 * H, 2 * H + I, H + outputDim);
            }
            // x q k v a | x intermediate output | transform, normed transform, logits
            default -> max(5 * H, 2 * H + I, outputDim == H ? 0 : H + outputDim);
        };
        return 4 * m * widest;
    }

    /**
     * Activation bytes a backward pass holds (full fine-tuning): every value the forward computes
     * is kept for backward (the graph's tape), per layer and token the buffers counted below, plus
     * the embeddings, the head's rows and dL/d(out) twice (the loss head's and the node's own).
     * Node gradients, live only while backward walks past them, are left out: an estimate, within
     * 20% of the tracked peak, low by at most that (MemoryAccountingTest).
     */
    public static long backpropActivations(ModelConfig c, int outputDim, int batch, int seqLen) {
        long m = (long) batch * seqLen, H = c.hidden(), I = c.intermediate();
        long q = (long) c.heads() * c.headDim(), kv = (long) c.kvHeads() * c.headDim();
        long layer, ends;
        switch (c.modelType()) {
            case "llama", "mistral" -> {   // norm, q + rope, k + rope, v, a, o, +, norm, gate, up, silu·up, down, +
                layer = 5 * H + 3 * q + 3 * kv + 3 * I;
                ends = 2 * H + 3L * outputDim;
            }
            case "opt" -> {                // (norm), q, scaled q, k, v, a, o, +, (norm), fc1, relu, fc2, +, post-LN norms
                long E = c.wordEmbedProjDim();
                layer = 11 * H + 2 * I;
                ends = E + 3 * H + (E != H ? H + E : 0) + 3L * outputDim;
            }
            default -> {                   // q, k, v, a, o, +, norm, intermediate, activation, output, +, norm; MLM transform
                layer = 10 * H + 2 * I;
                ends = 6 * H + (outputDim == H ? 0 : 3 * H + 3L * outputDim);
            }
        }
        return 4 * m * (c.layers() * layer + ends);
    }

    private static long max(long... a) {
        long m = a[0];
        for (long v : a) m = Math.max(m, v);
        return m;
    }

    public static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
        return String.format("%.1f %s", v, units[u]);
    }
}
