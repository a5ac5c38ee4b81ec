package dev.zotune.kernels;

import dev.zotune.tensor.WeightMatrix;

/** The definition of {@link Gemm#linear}: one fma chain per output over k in order from 0f, then + bias. */
final class ScalarGemm {
    private ScalarGemm() {}

    static void linear(float[] x, int m, WeightMatrix w, float[] bias, float[] y) {
        int k = w.in(), n = w.out();
        float[] col = new float[k];
        for (int j = 0; j < n; j++) {
            if (w.inOut()) for (int kk = 0; kk < k; kk++) w.tensor().readFloats((long) kk * n + j, col, kk, 1);
            else w.tensor().readFloats((long) j * k, col, 0, k);
            for (int i = 0; i < m; i++) {
                float s = 0f;
                for (int kk = 0; kk < k; kk++) s = Math.fma(x[i * k + kk], col[kk], s);
                y[i * n + j] = bias == null ? s : s + bias[j];
            }
        }
    }
}
