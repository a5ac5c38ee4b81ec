package dev.zotune.kernels;

import static dev.zotune.kernels.VMath.*;

/**
 * Plain-loop references for {@link Ops}: the same float operations in the same order, one element
 * at a time, so the vector kernels must match them bit for bit.
 */
final class ScalarOps {
    private ScalarOps() {}

    static float sum(float[] a, int off, int n) {
        float[] lanes = new float[16];
        int n16 = n & ~15;
        for (int i = 0; i < n16; i++) lanes[i & 15] += a[off + i];
        float s = 0f;
        for (int j = 0; j < 8; j++) s += lanes[j] + lanes[j + 8];
        for (int i = n16; i < n; i++) s += a[off + i];
        return s;
    }

    static float exp(float x) {
        x = x < EXP_LO ? EXP_LO : x;
        x = x > EXP_HI ? EXP_HI : x;
        float t = Math.fma(x, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, E6, E5);
        p = Math.fma(p, r, E4);
        p = Math.fma(p, r, E3);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        int k = Float.floatToRawIntBits(t) - ROUND_BITS, k1 = k >> 1;
        return p * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k - k1 + 127) << 23);
    }

    static float gelu(float x) {
        float u = Math.abs(x), uc = u > PHI_UMAX ? PHI_UMAX : u;
        float num = Math.fma(Math.fma(Math.fma(Math.fma(uc, N4, N3), uc, N2), uc, N1), uc, N0);
        float den = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(uc, D5, D4), uc, D3), uc, D2), uc, D1), uc, 1f);
        float q = exp(u * u * -0.5f) * (num / den);
        return x * (x < 0f ? q : 1f - q);
    }

    static float geluTanh(float x) {
        float y = x * Math.fma(x * x, K2, K1);
        return x / (exp(y) + 1f);
    }

    static float silu(float g) {
        return g / (exp(-g) + 1f);
    }

    static void layerNorm(float[] x, float[] y, int rows, int dim, float[] gamma, float[] beta, float eps) {
        float[] d = new float[dim];
        for (int r = 0; r < rows; r++) {
            int o = r * dim;
            float mean = sum(x, o, dim) / dim;
            for (int i = 0; i < dim; i++) { float c = x[o + i] - mean; d[i] = c * c; }
            float var = sum(d, 0, dim) / dim;
            float rstd = (float) (1.0 / Math.sqrt(var + eps));
            for (int i = 0; i < dim; i++) y[o + i] = Math.fma((x[o + i] - mean) * rstd, gamma[i], beta[i]);
        }
    }

    static void rmsNorm(float[] x, float[] y, int rows, int dim, float[] gamma, float eps) {
        float[] d = new float[dim];
        for (int r = 0; r < rows; r++) {
            int o = r * dim;
            for (int i = 0; i < dim; i++) d[i] = x[o + i] * x[o + i];
            float rstd = (float) (1.0 / Math.sqrt(sum(d, 0, dim) / dim + eps));
            for (int i = 0; i < dim; i++) y[o + i] = gamma[i] * (x[o + i] * rstd);
        }
    }

    static float logSumExp(float[] a, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, a[off + i]);
        if (!Float.isFinite(max)) return max;
        float[] e = new float[n];
        for (int i = 0; i < n; i++) e[i] = exp(a[off + i] - max);
        return max + (float) StrictMath.log(sum(e, 0, n));
    }

    static void rope(float[] x, int rows, int stride, int nHeads, int hd, int[] pos, float[] cos, float[] sin) {
        int half = hd / 2;
        for (int r = 0; r < rows; r++) {
            int t = pos[r] * half;
            for (int h = 0; h < nHeads; h++) {
                int o = r * stride + h * hd;
                for (int i = 0; i < half; i++) {
                    float a = x[o + i], b = x[o + i + half], c = cos[t + i], s = sin[t + i];
                    x[o + i] = a * c - b * s;
                    x[o + i + half] = b * c + a * s;
                }
            }
        }
    }
}
