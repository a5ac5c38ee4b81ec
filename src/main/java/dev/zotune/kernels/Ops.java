package dev.zotune.kernels;

/**
 * Row-wise and element-wise transformer ops over fp32 rows.
 * Numeric contract: every sum is the canonical 16-lane reduction of {@link #sum}; element-wise
 * functions are the same float operations for every element, so results do not depend on the
 * vector width or thread count.
 */
public final class Ops {
    private Ops() {}

    /**
     * Canonical sum of a[off..off+n): 16 logical lanes, lane j adds a[i] for i ≡ j (mod 16) over the
     * whole 16-blocks in order; then t_j = lane_j + lane_{j+8} for j = 0..7 summed in order from 0;
     * then the tail elements in order.
     */
    public static float sum(float[] a, int off, int n) {
        float[] lanes = new float[16];
        int n16 = n & ~15;
        for (int i = 0; i < n16; i++) lanes[i & 15] += a[off + i];
        float s = 0f;
        for (int j = 0; j < 8; j++) s += lanes[j] + lanes[j + 8];
        for (int i = n16; i < n; i++) s += a[off + i];
        return s;
    }

    /** LayerNorm of each row: y = fma((x - mean)·rstd, gamma, beta), two-pass mean and variance. */
    public static void layerNorm(float[] x, float[] y, int rows, int dim, float[] gamma, float[] beta, float eps) {
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

    /** RMSNorm of each row (LLaMA): y = gamma · (x · rstd), rstd = 1/sqrt(mean(x²) + eps). */
    public static void rmsNorm(float[] x, float[] y, int rows, int dim, float[] gamma, float eps) {
        float[] d = new float[dim];
        for (int r = 0; r < rows; r++) {
            int o = r * dim;
            for (int i = 0; i < dim; i++) d[i] = x[o + i] * x[o + i];
            float rstd = (float) (1.0 / Math.sqrt(sum(d, 0, dim) / dim + eps));
            for (int i = 0; i < dim; i++) y[o + i] = gamma[i] * (x[o + i] * rstd);
        }
    }

    /** In place x += b, element-wise (residual connections). */
    public static void add(float[] x, float[] b, int n) {
        for (int i = 0; i < n; i++) x[i] += b[i];
    }

    public static void relu(float[] x, int n) {
        for (int i = 0; i < n; i++) x[i] = Math.max(x[i], 0f);
    }

    /** GELU, exact form: 0.5·x·(1 + erf(x/√2)). */
    public static void gelu(float[] x, int n) {
        for (int i = 0; i < n; i++) x[i] = (float) (0.5 * x[i] * (1 + erf(x[i] / Math.sqrt(2))));
    }

    /** GELU, tanh form ("gelu_new", "gelu_pytorch_tanh"). */
    public static void geluTanh(float[] x, int n) {
        for (int i = 0; i < n; i++) {
            double v = x[i];
            x[i] = (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
        }
    }

    /** SwiGLU: gate[i] = silu(gate[i]) · up[i]. */
    public static void siluMul(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) gate[i] = (float) (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
    }

    /** log Σ exp(a[off..off+n)), max-shifted. */
    public static float logSumExp(float[] a, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, a[off + i]);
        float[] e = new float[n];
        for (int i = 0; i < n; i++) e[i] = (float) Math.exp(a[off + i] - max);
        return max + (float) Math.log(sum(e, 0, n));
    }

    /**
     * Rotary embedding, HF rotate_half form, in place on rows of {@code nHeads·hd} values at
     * {@code x[r·stride ..]}: for i < hd/2, (x_i, x_{i+hd/2}) rotates by angle pos·invFreq_i.
     * cos/sin are tables [maxPos, hd/2] from {@link #ropeTables}.
     */
    public static void rope(float[] x, int rows, int stride, int nHeads, int hd, int[] pos, float[] cos, float[] sin) {
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

    /** cos and sin tables [maxPos, hd/2] as HF computes them: fp32 inverse frequencies and angles. */
    public static float[][] ropeTables(double theta, int hd, int maxPos) {
        int half = hd / 2;
        float[] cos = new float[maxPos * half], sin = new float[maxPos * half];
        for (int i = 0; i < half; i++) {
            float invFreq = (float) (1.0 / Math.pow(theta, (2.0 * i) / hd));
            for (int p = 0; p < maxPos; p++) {
                float angle = (float) p * invFreq;
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
        return new float[][] {cos, sin};
    }

    /** erf, Abramowitz–Stegun 7.1.26 (|error| ≤ 1.5e-7). */
    static double erf(double x) {
        double t = 1 / (1 + 0.3275911 * Math.abs(x));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
        return Math.copySign(y, x);
    }
}
