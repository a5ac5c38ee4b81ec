package dev.zotune.kernels;

/** Plain-loop reference for {@link Attention}: the contract of its Javadoc, one query row and head at a time. */
final class ScalarAttention {
    private ScalarAttention() {}

    static void forward(float[] q, float[] k, float[] v, int B, int T, int past, int cap, int nHeads, int nKv, int hd,
                        int[] keyMask, boolean causal, int window, float scale, float[] out) {
        int group = nHeads / nKv, qStride = nHeads * hd, kvStride = nKv * hd, len = past + T;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                for (int h = 0; h < nHeads; h++) {
                    int i = past + t, qo = (b * T + t) * qStride + h * hd, kvh = (h / group) * hd;
                    int lo = causal && window > 0 ? Math.max(0, i - window + 1) : 0, hi = causal ? i + 1 : len;
                    float[] p = new float[hi - lo];
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = lo; j < hi; j++) {
                        int ko = (b * cap + j) * kvStride + kvh;
                        float s = 0f;
                        for (int d = 0; d < hd; d++) s = Math.fma(q[qo + d], k[ko + d], s);
                        s *= scale;
                        if (keyMask != null && keyMask[b * cap + j] == 0) s = Float.NEGATIVE_INFINITY;
                        p[j - lo] = s;
                        max = Math.max(max, s);
                    }
                    if (max == Float.NEGATIVE_INFINITY) {
                        for (int d = 0; d < hd; d++) out[qo + d] = 0f;
                        continue;
                    }
                    for (int j = 0; j < p.length; j++) p[j] = ScalarOps.exp(p[j] - max);
                    float inv = 1f / ScalarOps.sum(p, 0, p.length);
                    for (int j = 0; j < p.length; j++) p[j] *= inv;
                    for (int d = 0; d < hd; d++) {
                        float s = 0f;
                        for (int j = lo; j < hi; j++)
                            if (p[j - lo] != 0f) s = Math.fma(p[j - lo], v[(b * cap + j) * kvStride + kvh + d], s);
                        out[qo + d] = s;
                    }
                }
    }
}
