package dev.zotune.kernels;

/**
 * Scaled dot-product attention over a batch, with grouped-query heads, padding masks, causal
 * masking and a sliding window.
 *
 * Layout: q and out are [B·T, nHeads·hd] (query t of sequence b at row b·T + t, absolute
 * position past + t). k and v are caches [B·cap, nKv·hd] whose rows b·cap + j, j < past + T,
 * hold keys at position j. Query head h reads kv head h / (nHeads / nKv).
 * Key j is visible from query position i iff keyMask[b·cap + j] != 0 (or keyMask is null), and,
 * when causal, j ≤ i and (window ≤ 0 or i − window < j). A query that sees no key gets zeros.
 * Numeric contract: scores s_j = (q·k_j)·scale with q·k_j one fma chain over d in order;
 * p_j = exp(s_j − max)/Σ exp (canonical 16-lane sum); out_d = fma chain of p_j·v_jd over j in order.
 */
public final class Attention {
    private Attention() {}

    public static void forward(float[] q, float[] k, float[] v, int B, int T, int past, int cap,
                               int nHeads, int nKv, int hd, int[] keyMask, boolean causal, int window,
                               float scale, float[] out) {
        int group = nHeads / nKv, qStride = nHeads * hd, kvStride = nKv * hd, len = past + T;
        float[] p = new float[len];
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int h = 0; h < nHeads; h++) {
                    int i = past + t, qo = (b * T + t) * qStride + h * hd, kvh = (h / group) * hd;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < len; j++) {
                        boolean visible = (keyMask == null || keyMask[b * cap + j] != 0)
                                && (!causal || (j <= i && (window <= 0 || i - window < j)));
                        if (!visible) { p[j] = Float.NEGATIVE_INFINITY; continue; }
                        int ko = (b * cap + j) * kvStride + kvh;
                        float s = 0f;
                        for (int d = 0; d < hd; d++) s = Math.fma(q[qo + d], k[ko + d], s);
                        p[j] = s * scale;
                        max = Math.max(max, p[j]);
                    }
                    int oo = (b * T + t) * qStride + h * hd;
                    if (max == Float.NEGATIVE_INFINITY) {
                        for (int d = 0; d < hd; d++) out[oo + d] = 0f;
                        continue;
                    }
                    for (int j = 0; j < len; j++) p[j] = (float) Math.exp(p[j] - max);
                    float inv = 1f / Ops.sum(p, 0, len);
                    for (int j = 0; j < len; j++) p[j] *= inv;
                    for (int d = 0; d < hd; d++) {
                        float s = 0f;
                        for (int j = 0; j < len; j++) s = Math.fma(p[j], v[(b * cap + j) * kvStride + kvh + d], s);
                        out[oo + d] = s;
                    }
                }
    }
}
