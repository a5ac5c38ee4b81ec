package dev.zotune.model;

/**
 * Peak activation bytes of one forward pass, from the config alone. It mirrors the buffers each
 * model's forward holds at once (MemoryAccountingTest checks it equals the tracked peak): the
 * residual stream, plus the largest of the attention block, the MLP block and the output head.
 */
public final class MemoryEstimate {
    private MemoryEstimate() {}

    public static long forwardActivations(ModelConfig c, int outputDim, int batch, int seqLen) {
        long m = (long) batch * seqLen, H = c.hidden(), I = c.intermediate();
        long q = (long) c.heads() * c.headDim(), kv = (long) c.kvHeads() * c.headDim();
        long stream, attn, mlp, head;
        switch (c.modelType()) {
            case "llama", "mistral" -> {        // x, h | q k v a o | gate up down | logits
                stream = 2 * H;
                attn = 2 * q + 2 * kv + H;
                mlp = 2 * I + H;
                head = outputDim;
            }
            case "opt" -> {                     // embeddings (+ projected x), h | q k v a o | fc1 fc2 | (project_out) logits
                long E = c.wordEmbedProjDim();
                stream = (E != H ? E + H : H) + H;
                attn = 5 * H;
                mlp = I + H;
                head = (E != H ? E : 0) + outputDim;
            }
            default -> {                        // x | q k v a o | intermediate output | transform logits
                stream = H;
                attn = 5 * H;
                mlp = I + H;
                head = outputDim == H ? 0 : H + outputDim;
            }
        }
        return 4 * m * (stream + Math.max(Math.max(attn, mlp), head));
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
