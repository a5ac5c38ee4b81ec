package dev.zotune.kernels;

import static dev.zotune.kernels.VMath.F;
import static dev.zotune.kernels.VMath.L;

import dev.zotune.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Row-wise and element-wise transformer ops over fp32 rows.
 * Numeric contract: every sum is the canonical 16-lane reduction of {@link #sum}; element-wise
 * functions are the same float operations for every element (the sequences are spelled out in
 * {@link VMath}), so results do not depend on the vector width or thread count. Threads split
 * rows or element ranges only.
 */
public final class Ops {
    /** Elements per call of an element-wise kernel: short, frequently called, L1-friendly. */
    private static final int CHUNK = 4096;
    /** Elements below which a call stays on the calling thread. */
    private static final int PAR_MIN = 1 << 15;

    private Ops() {}

    /**
     * Canonical sum of a[off..off+n): 16 logical lanes, lane j adds a[i] for i ≡ j (mod 16) over the
     * whole 16-blocks in order; then t_j = lane_j + lane_{j+8} for j = 0..7 summed in order from 0;
     * then the tail elements in order.
     */
    public static float sum(float[] a, int off, int n) {
        float[] lanes = new float[16];
        int n16 = n & ~15;
        accumulate(a, off, n16, lanes);
        float s = fold(lanes);
        for (int i = n16; i < n; i++) s += a[off + i];
        return s;
    }

    /**
     * lanes[i mod 16] += a[off + i] for i &lt; n16 (a multiple of 16), in order: the lane part of
     * {@link #sum}. The 16 logical lanes are 16 / L vectors, whatever the vector width L.
     */
    static void accumulate(float[] a, int off, int n16, float[] lanes) {
        int vs = 16 / L;   // 1, 2 or 4 (C2 folds the branches below)
        FloatVector a0 = FloatVector.fromArray(F, lanes, 0);
        FloatVector a1 = vs > 1 ? FloatVector.fromArray(F, lanes, L) : a0;
        FloatVector a2 = vs > 2 ? FloatVector.fromArray(F, lanes, 2 * L) : a0;
        FloatVector a3 = vs > 2 ? FloatVector.fromArray(F, lanes, 3 * L) : a0;
        for (int i = off; i < off + n16; i += 16) {
            a0 = a0.add(FloatVector.fromArray(F, a, i));
            if (vs > 1) a1 = a1.add(FloatVector.fromArray(F, a, i + L));
            if (vs > 2) {
                a2 = a2.add(FloatVector.fromArray(F, a, i + 2 * L));
                a3 = a3.add(FloatVector.fromArray(F, a, i + 3 * L));
            }
        }
        a0.intoArray(lanes, 0);
        if (vs > 1) a1.intoArray(lanes, L);
        if (vs > 2) {
            a2.intoArray(lanes, 2 * L);
            a3.intoArray(lanes, 3 * L);
        }
    }

    /** Σ_{j=0..7} (lane_j + lane_{j+8}) in order: the fold of {@link #sum}. */
    static float fold(float[] lanes) {
        float s = 0f;
        for (int j = 0; j < 8; j++) s += lanes[j] + lanes[j + 8];
        return s;
    }

    /** LayerNorm of each row: y = fma((x - mean)·rstd, gamma, beta), two-pass mean and variance. */
    public static void layerNorm(float[] x, float[] y, int rows, int dim, float[] gamma, float[] beta, float eps) {
        Parallel.forRange(rows, rowGrain(dim), (r0, r1) -> {
            float[] d = new float[dim];
            for (int r = r0; r < r1; r++) layerNormRow(x, y, r * dim, dim, gamma, beta, eps, d);
        });
    }

    private static void layerNormRow(float[] x, float[] y, int o, int dim, float[] gamma, float[] beta, float eps, float[] d) {
        float mean = sum(x, o, dim) / dim;
        int nv = F.loopBound(dim), i;
        for (i = 0; i < nv; i += L) {
            FloatVector c = FloatVector.fromArray(F, x, o + i).sub(mean);
            c.mul(c).intoArray(d, i);
        }
        for (; i < dim; i++) { float c = x[o + i] - mean; d[i] = c * c; }
        float var = sum(d, 0, dim) / dim;
        float rstd = (float) (1.0 / Math.sqrt(var + eps));
        for (i = 0; i < nv; i += L)
            FloatVector.fromArray(F, x, o + i).sub(mean).mul(rstd)
                    .fma(FloatVector.fromArray(F, gamma, i), FloatVector.fromArray(F, beta, i)).intoArray(y, o + i);
        for (; i < dim; i++) y[o + i] = Math.fma((x[o + i] - mean) * rstd, gamma[i], beta[i]);
    }

    /** RMSNorm of each row (LLaMA): y = gamma · (x · rstd), rstd = 1/sqrt(mean(x²) + eps). */
    public static void rmsNorm(float[] x, float[] y, int rows, int dim, float[] gamma, float eps) {
        Parallel.forRange(rows, rowGrain(dim), (r0, r1) -> {
            float[] d = new float[dim];
            for (int r = r0; r < r1; r++) rmsNormRow(x, y, r * dim, dim, gamma, eps, d);
        });
    }

    private static void rmsNormRow(float[] x, float[] y, int o, int dim, float[] gamma, float eps, float[] d) {
        int nv = F.loopBound(dim), i;
        for (i = 0; i < nv; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, o + i);
            v.mul(v).intoArray(d, i);
        }
        for (; i < dim; i++) d[i] = x[o + i] * x[o + i];
        float rstd = (float) (1.0 / Math.sqrt(sum(d, 0, dim) / dim + eps));
        for (i = 0; i < nv; i += L)
            FloatVector.fromArray(F, gamma, i).mul(FloatVector.fromArray(F, x, o + i).mul(rstd)).intoArray(y, o + i);
        for (; i < dim; i++) y[o + i] = gamma[i] * (x[o + i] * rstd);
    }

    private static int rowGrain(int dim) {
        return Math.max(1, PAR_MIN / Math.max(1, dim));
    }

    /** In place x += b, element-wise (residual connections). */
    public static void add(float[] x, float[] b, int n) {
        int nv = F.loopBound(n);
        Parallel.forRange(nv, PAR_MIN, (from, to) -> {
            for (int c = from; c < to; c += CHUNK) addKernel(x, b, c, Math.min(to, c + CHUNK));
        });
        for (int i = nv; i < n; i++) x[i] += b[i];
    }

    public static void relu(float[] x, int n) {
        int nv = F.loopBound(n);
        Parallel.forRange(nv, PAR_MIN, (from, to) -> {
            for (int c = from; c < to; c += CHUNK) reluKernel(x, c, Math.min(to, c + CHUNK));
        });
        for (int i = nv; i < n; i++) x[i] = Math.max(x[i], 0f);
    }

    /** GELU, exact form: 0.5·x·(1 + erf(x/√2)) = x·Φ(x), Φ as in {@link VMath#gelu}; abs. error ≤ 2e-7·max(1, |x|). */
    public static void gelu(float[] x, int n) {
        int nv = F.loopBound(n);
        Parallel.forRange(nv, PAR_MIN, (from, to) -> {
            for (int c = from; c < to; c += CHUNK) geluKernel(x, c, Math.min(to, c + CHUNK));
        });
        if (nv == n) return;
        float[] t = tail(x, nv, n);
        geluKernel(t, 0, L);
        System.arraycopy(t, 0, x, nv, n - nv);
    }

    /** GELU, tanh form ("gelu_new", "gelu_pytorch_tanh"), computed as x / (1 + exp(−2·√(2/π)·(x + 0.044715·x³))). */
    public static void geluTanh(float[] x, int n) {
        int nv = F.loopBound(n);
        Parallel.forRange(nv, PAR_MIN, (from, to) -> {
            for (int c = from; c < to; c += CHUNK) geluTanhKernel(x, c, Math.min(to, c + CHUNK));
        });
        if (nv == n) return;
        float[] t = tail(x, nv, n);
        geluTanhKernel(t, 0, L);
        System.arraycopy(t, 0, x, nv, n - nv);
    }

    /** SwiGLU: gate[i] = silu(gate[i]) · up[i], silu(g) = g / (1 + exp(−g)) rounded before the product. */
    public static void siluMul(float[] gate, float[] up, int n) {
        int nv = F.loopBound(n);
        Parallel.forRange(nv, PAR_MIN, (from, to) -> {
            for (int c = from; c < to; c += CHUNK) siluMulKernel(gate, up, c, Math.min(to, c + CHUNK));
        });
        if (nv == n) return;
        float[] t = tail(gate, nv, n);
        siluMulKernel(t, tail(up, nv, n), 0, L);
        System.arraycopy(t, 0, gate, nv, n - nv);
    }

    /*
     * Element-wise kernels over [from, to), a whole number of vectors. Each public op calls its own
     * kernel from its own lambda: a call site shared by several kernels would inline them all into
     * one large method, where C2 stops inlining the math helpers and boxes their vectors. The last
     * n mod L elements of the exp-based ops go through the same kernel on a padded copy (tail).
     */

    private static void addKernel(float[] x, float[] b, int from, int to) {
        for (int i = from; i < to; i += L)
            FloatVector.fromArray(F, x, i).add(FloatVector.fromArray(F, b, i)).intoArray(x, i);
    }

    private static void reluKernel(float[] x, int from, int to) {
        for (int i = from; i < to; i += L) FloatVector.fromArray(F, x, i).max(0f).intoArray(x, i);
    }

    private static void geluKernel(float[] x, int from, int to) {
        for (int i = from; i < to; i += L) VMath.gelu(FloatVector.fromArray(F, x, i)).intoArray(x, i);
    }

    private static void geluTanhKernel(float[] x, int from, int to) {
        for (int i = from; i < to; i += L) VMath.geluTanh(FloatVector.fromArray(F, x, i)).intoArray(x, i);
    }

    private static void siluMulKernel(float[] x, float[] b, int from, int to) {
        for (int i = from; i < to; i += L)
            VMath.silu(FloatVector.fromArray(F, x, i)).mul(FloatVector.fromArray(F, b, i)).intoArray(x, i);
    }

    /** a[from..to) (fewer than L elements) copied into a zero-padded vector-sized buffer. */
    private static float[] tail(float[] a, int from, int to) {
        float[] t = new float[L];
        System.arraycopy(a, from, t, 0, to - from);
        return t;
    }

    /**
     * dst[dOff + i] = exp(src[sOff + i] − shift) for i &lt; n, a multiple of L (exp of {@link VMath}).
     * src and dst may be the same range.
     */
    static void expShifted(float[] src, int sOff, float[] dst, int dOff, int n, float shift) {
        for (int i = 0; i < n; i += L)
            VMath.exp(FloatVector.fromArray(F, src, sOff + i).sub(shift)).intoArray(dst, dOff + i);
    }

    /** Math.max over a[off..off+n); −∞ when n = 0. */
    static float max(float[] a, int off, int n) {
        int nv = F.loopBound(n), i;
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (i = 0; i < nv; i += L) m = m.max(FloatVector.fromArray(F, a, off + i));
        float r = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, a[off + i]);
        return r;
    }

    /**
     * log Σ exp(a[off..off+n)), max-shifted: max + log(sum_i exp(a_i − max)), the sum canonical.
     * A non-finite max (n = 0, all −∞, any +∞ or NaN) is returned as is.
     */
    public static float logSumExp(float[] a, int off, int n) {
        float max = max(a, off, n);
        if (!Float.isFinite(max)) return max;
        int n16 = n & ~15, block = 1024;
        float[] e = new float[Math.min(block, n16 + 16)], lanes = new float[16];
        for (int c = 0; c < n16; c += block) {      // lanes stay aligned: blocks are whole 16s
            int len = Math.min(block, n16 - c);
            expShifted(a, off + c, e, 0, len, max);
            accumulate(e, 0, len, lanes);
        }
        int tail = n - n16;
        System.arraycopy(a, off + n16, e, 0, tail);
        expShifted(e, 0, e, 0, (tail + L - 1) / L * L, max);
        float s = fold(lanes);
        for (int i = 0; i < tail; i++) s += e[i];
        return max + (float) StrictMath.log(s);
    }

    /**
     * Rotary embedding, HF rotate_half form, in place on rows of {@code nHeads·hd} values at
     * {@code x[r·stride ..]}: for i < hd/2, (x_i, x_{i+hd/2}) rotates by angle pos·invFreq_i:
     * x_i' = x_i·cos − x_{i+hd/2}·sin, x_{i+hd/2}' = x_{i+hd/2}·cos + x_i·sin (products rounded, no fma).
     * cos/sin are tables [maxPos, hd/2] from {@link #ropeTables}.
     */
    public static void rope(float[] x, int rows, int stride, int nHeads, int hd, int[] pos, float[] cos, float[] sin) {
        Parallel.forRange(rows, rowGrain(nHeads * hd), (r0, r1) -> {
            for (int r = r0; r < r1; r++)
                for (int h = 0; h < nHeads; h++) ropeHead(x, r * stride + h * hd, hd / 2, pos[r] * (hd / 2), cos, sin);
        });
    }

    private static void ropeHead(float[] x, int o, int half, int t, float[] cos, float[] sin) {
        int nv = F.loopBound(half), i;
        for (i = 0; i < nv; i += L) {
            FloatVector a = FloatVector.fromArray(F, x, o + i), b = FloatVector.fromArray(F, x, o + half + i);
            FloatVector c = FloatVector.fromArray(F, cos, t + i), s = FloatVector.fromArray(F, sin, t + i);
            a.mul(c).sub(b.mul(s)).intoArray(x, o + i);
            b.mul(c).add(a.mul(s)).intoArray(x, o + half + i);
        }
        for (; i < half; i++) {
            float a = x[o + i], b = x[o + i + half], c = cos[t + i], s = sin[t + i];
            x[o + i] = a * c - b * s;
            x[o + i + half] = b * c + a * s;
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
}
