package dev.zotune.model;

/**
 * Peak activation bytes of one forward pass, from the buffers the models hold at once: the
 * residual stream and normed copy, plus the larger of the attention block (q, k, v, attention
 * output, projection) and the MLP block, plus the output rows.
 */
public final class MemoryEstimate {
    private MemoryEstimate() {}

    public static long forwardActivations(ModelConfig c, int outputDim, int batch, int seqLen) {
        long m = (long) batch * seqLen;
        long attn = m * (2L * c.heads() * c.headDim() + 2L * c.kvHeads() * c.headDim() + c.hidden());
        long mlp = c.modelType().equals("llama") || c.modelType().equals("mistral")
                ? m * (2L * c.intermediate() + c.hidden())
                : m * ((long) c.intermediate() + c.hidden());
        long stream = 2 * m * Math.max(c.hidden(), c.wordEmbedProjDim());
        return 4 * (stream + Math.max(attn, mlp) + m * outputDim);
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
