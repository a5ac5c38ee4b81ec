package dev.zotune.kernels;

import static dev.zotune.kernels.VMath.F;
import static dev.zotune.kernels.VMath.L;

import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Parallel;
import java.util.Arrays;
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
        float rstd = layerNormRstd(x, o, dim, mean, eps, d);
        int nv = F.loopBound(dim), i;
        for (i = 0; i < nv; i += L)
            FloatVector.fromArray(F, x, o + i).sub(mean).mul(rstd)
                    .fma(FloatVector.fromArray(F, gamma, i), FloatVector.fromArray(F, beta, i)).intoArray(y, o + i);
        for (; i < dim; i++) y[o + i] = Math.fma((x[o + i] - mean) * rstd, gamma[i], beta[i]);
    }

    /** 1/sqrt(var + eps) of the row x[o..o+dim), var the canonical mean of (x − mean)², d its scratch. */
    private static float layerNormRstd(float[] x, int o, int dim, float mean, float eps, float[] d) {
        int nv = F.loopBound(dim), i;
        for (i = 0; i < nv; i += L) {
            FloatVector c = FloatVector.fromArray(F, x, o + i).sub(mean);
            c.mul(c).intoArray(d, i);
        }
        for (; i < dim; i++) { float c = x[o + i] - mean; d[i] = c * c; }
        float var = sum(d, 0, dim) / dim;
        return (float) (1.0 / Math.sqrt(var + eps));
    }

    /*
     * Norm gradients. Per row, x̂ = (x − mean)·rstd is recomputed as the forward computes it (mean = 0
     * for RMSNorm, where x − 0 is x exactly), and with g = dy·gamma and the canonical means
     * a = Σg/dim (LayerNorm; 0 for RMSNorm), c = Σ(g·x̂)/dim:  dx += rstd·(g − a − x̂·c).
     * Parameter gradients sum over rows: threads split the columns, and each column's sum runs over the
     * rows in order from 0f, in float, and is then added. The JVPs are the same algebra forward:
     * t̂ = rstd·(tx − mean(tx) − x̂·mean(tx·x̂)), ty = gamma·t̂ + x̂·tgamma (+ tbeta).
     * Each element goes through the same float operations (no fma) in the vector loops and their scalar
     * tails, so results do not depend on the vector width.
     */

    /**
     * Backward of {@link #layerNorm} (gamma w, beta): dx += rstd·(g − mean(g) − x̂·mean(g·x̂)), g = dy·w;
     * dw += Σ_rows dy·x̂; db += Σ_rows dy. Any of dx, dw, db may be null: not computed.
     */
    public static void layerNormBackward(float[] x, float[] dy, int rows, int dim, float[] w, float eps,
                                         float[] dx, float[] dw, float[] db) {
        normBackward(x, dy, rows, dim, w, eps, true, dx, dw, db);
    }

    /**
     * JVP of {@link #layerNorm}: ty = w·t̂ + x̂·tw + tb, t̂ = rstd·(tx − mean(tx) − x̂·mean(tx·x̂)) (writes ty).
     * tx, tw, tb null mean zero.
     */
    public static void layerNormJvp(float[] x, float[] tx, int rows, int dim, float[] w, float[] tw, float[] tb,
                                    float eps, float[] ty) {
        normJvp(x, tx, rows, dim, w, tw, tb, eps, true, ty);
    }

    /** RMSNorm of each row (LLaMA): y = gamma · (x · rstd), rstd = 1/sqrt(mean(x²) + eps). */
    public static void rmsNorm(float[] x, float[] y, int rows, int dim, float[] gamma, float eps) {
        Parallel.forRange(rows, rowGrain(dim), (r0, r1) -> {
            float[] d = new float[dim];
            for (int r = r0; r < r1; r++) rmsNormRow(x, y, r * dim, dim, gamma, eps, d);
        });
    }

    private static void rmsNormRow(float[] x, float[] y, int o, int dim, float[] gamma, float eps, float[] d) {
        float rstd = rmsNormRstd(x, o, dim, eps, d);
        int nv = F.loopBound(dim), i;
        for (i = 0; i < nv; i += L)
            FloatVector.fromArray(F, gamma, i).mul(FloatVector.fromArray(F, x, o + i).mul(rstd)).intoArray(y, o + i);
        for (; i < dim; i++) y[o + i] = gamma[i] * (x[o + i] * rstd);
    }

    /** 1/sqrt(mean(x²) + eps) of the row x[o..o+dim), the mean canonical, d its scratch. */
    private static float rmsNormRstd(float[] x, int o, int dim, float eps, float[] d) {
        int nv = F.loopBound(dim), i;
        for (i = 0; i < nv; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, o + i);
            v.mul(v).intoArray(d, i);
        }
        for (; i < dim; i++) d[i] = x[o + i] * x[o + i];
        return (float) (1.0 / Math.sqrt(sum(d, 0, dim) / dim + eps));
    }

    /**
     * Backward of {@link #rmsNorm} (gamma w): dx += rstd·(g − x̂·mean(g·x̂)), g = dy·w, x̂ = x·rstd;
     * dw += Σ_rows dy·x̂. dx or dw may be null: not computed.
     */
    public static void rmsNormBackward(float[] x, float[] dy, int rows, int dim, float[] w, float eps,
                                       float[] dx, float[] dw) {
        normBackward(x, dy, rows, dim, w, eps, false, dx, dw, null);
    }

    /** JVP of {@link #rmsNorm}: ty = w·t̂ + x̂·tw, t̂ = rstd·(tx − x̂·mean(tx·x̂)) (writes ty). tx, tw null mean zero. */
    public static void rmsNormJvp(float[] x, float[] tx, int rows, int dim, float[] w, float[] tw, float eps, float[] ty) {
        normJvp(x, tx, rows, dim, w, tw, null, eps, false, ty);
    }

    /** The mean of row x[o..o+dim) as LayerNorm (centered) computes it, or 0 for RMSNorm. */
    private static float normMean(float[] x, int o, int dim, boolean centered) {
        return centered ? sum(x, o, dim) / dim : 0f;
    }

    /** The rstd of row x[o..o+dim) as LayerNorm (centered, with its mean) or RMSNorm computes it; d is scratch. */
    private static float normRstd(float[] x, int o, int dim, float mean, float eps, boolean centered, float[] d) {
        return centered ? layerNormRstd(x, o, dim, mean, eps, d) : rmsNormRstd(x, o, dim, eps, d);
    }

    private static void normBackward(float[] x, float[] dy, int rows, int dim, float[] w, float eps, boolean centered,
                                     float[] dx, float[] dw, float[] db) {
        if (dx == null && dw == null && db == null) return;
        float[] stats = Memory.floats(Memory.Category.SCRATCH, 2 * rows);
        try {
            Parallel.forRange(rows, rowGrain(dim), (r0, r1) -> {
                float[] g = Memory.floats(Memory.Category.SCRATCH, dim), h = Memory.floats(Memory.Category.SCRATCH, dim);
                try {
                    for (int r = r0; r < r1; r++) {
                        int o = r * dim;
                        float mean = normMean(x, o, dim, centered), rstd = normRstd(x, o, dim, mean, eps, centered, g);
                        stats[2 * r] = mean;
                        stats[2 * r + 1] = rstd;
                        if (dx != null) normDx(x, dy, o, dim, w, mean, rstd, centered, dx, g, h);
                    }
                } finally {
                    Memory.release(Memory.Category.SCRATCH, g);
                    Memory.release(Memory.Category.SCRATCH, h);
                }
            });
            if (dw != null || db != null) normParamGrads(x, dy, rows, dim, stats, dw, db);
        } finally {
            Memory.release(Memory.Category.SCRATCH, stats);
        }
    }

    /** dx[o..o+dim) += rstd·(g − a − x̂·c) of one row (see above); g and h are scratch rows. */
    private static void normDx(float[] x, float[] dy, int o, int dim, float[] w, float mean, float rstd, boolean centered,
                               float[] dx, float[] g, float[] h) {
        int nv = F.loopBound(dim), i;
        for (i = 0; i < nv; i += L) {
            FloatVector gv = FloatVector.fromArray(F, dy, o + i).mul(FloatVector.fromArray(F, w, i));
            gv.intoArray(g, i);
            gv.mul(FloatVector.fromArray(F, x, o + i).sub(mean).mul(rstd)).intoArray(h, i);
        }
        for (; i < dim; i++) {
            g[i] = dy[o + i] * w[i];
            h[i] = g[i] * ((x[o + i] - mean) * rstd);
        }
        float a = centered ? sum(g, 0, dim) / dim : 0f, c = sum(h, 0, dim) / dim;
        for (i = 0; i < nv; i += L) {
            FloatVector xh = FloatVector.fromArray(F, x, o + i).sub(mean).mul(rstd);
            FloatVector v = FloatVector.fromArray(F, g, i).sub(a).sub(xh.mul(c)).mul(rstd);
            FloatVector.fromArray(F, dx, o + i).add(v).intoArray(dx, o + i);
        }
        for (; i < dim; i++) dx[o + i] += (g[i] - a - (x[o + i] - mean) * rstd * c) * rstd;
    }

    /** dw[j] += Σ_r dy[r, j]·x̂[r, j], db[j] += Σ_r dy[r, j] (either may be null), threads splitting the columns. */
    private static void normParamGrads(float[] x, float[] dy, int rows, int dim, float[] stats, float[] dw, float[] db) {
        Parallel.forRange(dim, Math.max(16, PAR_MIN / Math.max(1, rows)), (c0, c1) -> {
            int n = c1 - c0, nv = F.loopBound(n);
            float[] sw = Memory.floats(Memory.Category.SCRATCH, n), sb = Memory.floats(Memory.Category.SCRATCH, n);
            try {
                for (int r = 0; r < rows; r++) {
                    int o = r * dim + c0, j;
                    float mean = stats[2 * r], rstd = stats[2 * r + 1];
                    if (dw != null) {
                        for (j = 0; j < nv; j += L) {
                            FloatVector xh = FloatVector.fromArray(F, x, o + j).sub(mean).mul(rstd);
                            FloatVector.fromArray(F, sw, j).add(FloatVector.fromArray(F, dy, o + j).mul(xh)).intoArray(sw, j);
                        }
                        for (; j < n; j++) sw[j] += dy[o + j] * ((x[o + j] - mean) * rstd);
                    }
                    if (db != null) {
                        for (j = 0; j < nv; j += L)
                            FloatVector.fromArray(F, sb, j).add(FloatVector.fromArray(F, dy, o + j)).intoArray(sb, j);
                        for (; j < n; j++) sb[j] += dy[o + j];
                    }
                }
                if (dw != null) for (int j = 0; j < n; j++) dw[c0 + j] += sw[j];
                if (db != null) for (int j = 0; j < n; j++) db[c0 + j] += sb[j];
            } finally {
                Memory.release(Memory.Category.SCRATCH, sw);
                Memory.release(Memory.Category.SCRATCH, sb);
            }
        });
    }

    private static void normJvp(float[] x, float[] tx, int rows, int dim, float[] w, float[] tw, float[] tb, float eps,
                                boolean centered, float[] ty) {
        Parallel.forRange(rows, rowGrain(dim), (r0, r1) -> {
            float[] d = Memory.floats(Memory.Category.SCRATCH, dim);
            try {
                for (int r = r0; r < r1; r++)
                    normJvpRow(x, tx, r * dim, dim, w, tw, tb, eps, centered, ty, d);
            } finally {
                Memory.release(Memory.Category.SCRATCH, d);
            }
        });
    }

    /** ty = w·(rstd·(tx − a − x̂·c)) + x̂·tw + tb of one row, the terms of null tangents left out; d is scratch. */
    private static void normJvpRow(float[] x, float[] tx, int o, int dim, float[] w, float[] tw, float[] tb, float eps,
                                   boolean centered, float[] ty, float[] d) {
        float mean = normMean(x, o, dim, centered), rstd = normRstd(x, o, dim, mean, eps, centered, d), a = 0f, c = 0f;
        int nv = F.loopBound(dim), i;
        if (tx != null) {
            for (i = 0; i < nv; i += L)
                FloatVector.fromArray(F, tx, o + i).mul(FloatVector.fromArray(F, x, o + i).sub(mean).mul(rstd)).intoArray(d, i);
            for (; i < dim; i++) d[i] = tx[o + i] * ((x[o + i] - mean) * rstd);
            a = normMean(tx, o, dim, centered);
            c = sum(d, 0, dim) / dim;
        }
        for (i = 0; i < nv; i += L) {
            FloatVector xh = FloatVector.fromArray(F, x, o + i).sub(mean).mul(rstd), t = FloatVector.zero(F);
            if (tx != null)
                t = FloatVector.fromArray(F, tx, o + i).sub(a).sub(xh.mul(c)).mul(rstd).mul(FloatVector.fromArray(F, w, i));
            if (tw != null) t = t.add(xh.mul(FloatVector.fromArray(F, tw, i)));
            if (tb != null) t = t.add(FloatVector.fromArray(F, tb, i));
            t.intoArray(ty, o + i);
        }
        for (; i < dim; i++) {
            float xh = (x[o + i] - mean) * rstd, t = 0f;
            if (tx != null) t = (tx[o + i] - a - xh * c) * rstd * w[i];
            if (tw != null) t += xh * tw[i];
            if (tb != null) t += tb[i];
            ty[o + i] = t;
        }
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

    /** Backward of {@link #relu}: dx += dy where x &gt; 0 (0 elsewhere, at 0 and NaN too). dx null: nothing. */
    public static void reluBackward(float[] x, float[] dy, float[] dx, int n) {
        if (dx != null) reluScaled(x, dy, dx, n, true);
    }

    /** JVP of {@link #relu}: ty = tx where x &gt; 0, else 0 (writes ty; tx null means zero). */
    public static void reluJvp(float[] x, float[] tx, float[] ty, int n) {
        if (tx == null) Arrays.fill(ty, 0, n, 0f);
        else reluScaled(x, tx, ty, n, false);
    }

    /**
     * out[i] = relu'(x[i])·a[i], added to out[i] when acc. This and its siblings below share the element-wise
     * driver's shape (whole vectors in chunks across threads, the tail through padded copies) but not its
     * code: see the note on the kernels.
     */
    private static void reluScaled(float[] x, float[] a, float[] out, int n, boolean acc) {
        int nv = F.loopBound(n);
        Parallel.forRange(nv, PAR_MIN, (from, to) -> {
            for (int c = from; c < to; c += CHUNK) reluScaledKernel(x, a, out, c, Math.min(to, c + CHUNK), acc);
        });
        if (nv == n) return;
        float[] t = tail(out, nv, n);
        reluScaledKernel(tail(x, nv, n), tail(a, nv, n), t, 0, L, acc);
        System.arraycopy(t, 0, out, nv, n - nv);
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

    /**
     * Backward of {@link #gelu}: dx += dy·gelu'(x), gelu'(x) = Φ(x) + x·φ(x) ({@link VMath#geluGrad}, |x|
     * clamped to 14). dx null: nothing.
     */
    public static void geluBackward(float[] x, float[] dy, float[] dx, int n) {
        if (dx != null) geluScaled(x, dy, dx, n, true);
    }

    /** JVP of {@link #gelu}: ty = gelu'(x)·tx (writes ty; tx null means zero). */
    public static void geluJvp(float[] x, float[] tx, float[] ty, int n) {
        if (tx == null) Arrays.fill(ty, 0, n, 0f);
        else geluScaled(x, tx, ty, n, false);
    }

    /** out[i] = gelu'(x[i])·a[i], added to out[i] when acc. */
    private static void geluScaled(float[] x, float[] a, float[] out, int n, boolean acc) {
        int nv = F.loopBound(n);
        Parallel.forRange(nv, PAR_MIN, (from, to) -> {
            for (int c = from; c < to; c += CHUNK) geluScaledKernel(x, a, out, c, Math.min(to, c + CHUNK), acc);
        });
        if (nv == n) return;
        float[] t = tail(out, nv, n);
        geluScaledKernel(tail(x, nv, n), tail(a, nv, n), t, 0, L, acc);
        System.arraycopy(t, 0, out, nv, n - nv);
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

    /** Backward of {@link #geluTanh}: dx += dy·geluTanh'(x) ({@link VMath#geluTanhGrad}). dx null: nothing. */
    public static void geluTanhBackward(float[] x, float[] dy, float[] dx, int n) {
        if (dx != null) geluTanhScaled(x, dy, dx, n, true);
    }

    /** JVP of {@link #geluTanh}: ty = geluTanh'(x)·tx (writes ty; tx null means zero). */
    public static void geluTanhJvp(float[] x, float[] tx, float[] ty, int n) {
        if (tx == null) Arrays.fill(ty, 0, n, 0f);
        else geluTanhScaled(x, tx, ty, n, false);
    }

    /** out[i] = geluTanh'(x[i])·a[i], added to out[i] when acc. */
    private static void geluTanhScaled(float[] x, float[] a, float[] out, int n, boolean acc) {
        int nv = F.loopBound(n);
        Parallel.forRange(nv, PAR_MIN, (from, to) -> {
            for (int c = from; c < to; c += CHUNK) geluTanhScaledKernel(x, a, out, c, Math.min(to, c + CHUNK), acc);
        });
        if (nv == n) return;
        float[] t = tail(out, nv, n);
        geluTanhScaledKernel(tail(x, nv, n), tail(a, nv, n), t, 0, L, acc);
        System.arraycopy(t, 0, out, nv, n - nv);
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

    /**
     * Backward of {@link #siluMul} (y = silu(g)·u, inputs before the in-place forward):
     * dg += (dy·u)·silu'(g) ({@link VMath#siluGrad}), du += dy·silu(g). dg or du may be null: not computed.
     */
    public static void siluMulBackward(float[] g, float[] u, float[] dy, float[] dg, float[] du, int n) {
        if (dg == null && du == null) return;
        int nv = F.loopBound(n);
        Parallel.forRange(nv, PAR_MIN, (from, to) -> {
            for (int c = from; c < to; c += CHUNK) siluMulBackwardKernel(g, u, dy, dg, du, c, Math.min(to, c + CHUNK));
        });
        if (nv == n) return;
        float[] tdg = tail(dg, nv, n), tdu = tail(du, nv, n);
        siluMulBackwardKernel(tail(g, nv, n), tail(u, nv, n), tail(dy, nv, n), tdg, tdu, 0, L);
        untail(tdg, dg, nv, n);
        untail(tdu, du, nv, n);
    }

    /** JVP of {@link #siluMul}: ty = (tg·u)·silu'(g) + tu·silu(g) (writes ty; tg, tu null mean zero). */
    public static void siluMulJvp(float[] g, float[] u, float[] tg, float[] tu, float[] ty, int n) {
        if (tg == null && tu == null) {
            Arrays.fill(ty, 0, n, 0f);
            return;
        }
        int nv = F.loopBound(n);
        Parallel.forRange(nv, PAR_MIN, (from, to) -> {
            for (int c = from; c < to; c += CHUNK) siluMulJvpKernel(g, u, tg, tu, ty, c, Math.min(to, c + CHUNK));
        });
        if (nv == n) return;
        float[] t = tail(ty, nv, n);
        siluMulJvpKernel(tail(g, nv, n), tail(u, nv, n), tail(tg, nv, n), tail(tu, nv, n), t, 0, L);
        untail(t, ty, nv, n);
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

    private static void reluScaledKernel(float[] x, float[] a, float[] out, int from, int to, boolean acc) {
        for (int i = from; i < to; i += L) {
            FloatVector v = FloatVector.zero(F).blend(FloatVector.fromArray(F, a, i),
                    FloatVector.fromArray(F, x, i).compare(VectorOperators.GT, 0f));
            (acc ? FloatVector.fromArray(F, out, i).add(v) : v).intoArray(out, i);
        }
    }

    private static void geluScaledKernel(float[] x, float[] a, float[] out, int from, int to, boolean acc) {
        for (int i = from; i < to; i += L) {
            FloatVector v = VMath.geluGrad(FloatVector.fromArray(F, x, i)).mul(FloatVector.fromArray(F, a, i));
            (acc ? FloatVector.fromArray(F, out, i).add(v) : v).intoArray(out, i);
        }
    }

    private static void geluTanhScaledKernel(float[] x, float[] a, float[] out, int from, int to, boolean acc) {
        for (int i = from; i < to; i += L) {
            FloatVector v = VMath.geluTanhGrad(FloatVector.fromArray(F, x, i)).mul(FloatVector.fromArray(F, a, i));
            (acc ? FloatVector.fromArray(F, out, i).add(v) : v).intoArray(out, i);
        }
    }

    private static void siluMulBackwardKernel(float[] g, float[] u, float[] dy, float[] dg, float[] du, int from, int to) {
        for (int i = from; i < to; i += L) {
            FloatVector gv = FloatVector.fromArray(F, g, i), d = FloatVector.fromArray(F, dy, i);
            if (dg != null) {
                FloatVector v = d.mul(FloatVector.fromArray(F, u, i)).mul(VMath.siluGrad(gv));
                FloatVector.fromArray(F, dg, i).add(v).intoArray(dg, i);
            }
            if (du != null) FloatVector.fromArray(F, du, i).add(d.mul(VMath.silu(gv))).intoArray(du, i);
        }
    }

    private static void siluMulJvpKernel(float[] g, float[] u, float[] tg, float[] tu, float[] ty, int from, int to) {
        for (int i = from; i < to; i += L) {
            FloatVector gv = FloatVector.fromArray(F, g, i), t = FloatVector.zero(F);
            if (tg != null) t = FloatVector.fromArray(F, tg, i).mul(FloatVector.fromArray(F, u, i)).mul(VMath.siluGrad(gv));
            if (tu != null) t = t.add(FloatVector.fromArray(F, tu, i).mul(VMath.silu(gv)));
            t.intoArray(ty, i);
        }
    }

    /** a[from..to) (fewer than L elements) copied into a zero-padded vector-sized buffer; null for a null a. */
    private static float[] tail(float[] a, int from, int to) {
        if (a == null) return null;
        float[] t = new float[L];
        System.arraycopy(a, from, t, 0, to - from);
        return t;
    }

    /** The first to − from elements of a padded tail t back into a[from..to), unless a is null. */
    private static void untail(float[] t, float[] a, int from, int to) {
        if (a != null) System.arraycopy(t, 0, a, from, to - from);
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

    /**
     * Backward of {@link #rope}: the transposed rotation, accumulated into dx. For i &lt; hd/2, with
     * a = dy_i, b = dy_{i+hd/2} at {@code dy[r·width + h·hd ..]}: dx_i += a·cos + b·sin,
     * dx_{i+hd/2} += b·cos − a·sin (products rounded, no fma); other columns of dx are untouched. dx
     * null: nothing. rope has no JVP function: it is linear in x, so its JVP is rope applied to the tangent.
     */
    public static void ropeBackward(float[] dy, int rows, int width, int heads, int hd, int[] pos, float[] cos,
                                    float[] sin, float[] dx) {
        if (dx == null) return;
        Parallel.forRange(rows, rowGrain(heads * hd), (r0, r1) -> {
            for (int r = r0; r < r1; r++)
                for (int h = 0; h < heads; h++) ropeHeadBackward(dy, dx, r * width + h * hd, hd / 2, pos[r] * (hd / 2), cos, sin);
        });
    }

    private static void ropeHeadBackward(float[] dy, float[] dx, int o, int half, int t, float[] cos, float[] sin) {
        int nv = F.loopBound(half), i;
        for (i = 0; i < nv; i += L) {
            FloatVector a = FloatVector.fromArray(F, dy, o + i), b = FloatVector.fromArray(F, dy, o + half + i);
            FloatVector c = FloatVector.fromArray(F, cos, t + i), s = FloatVector.fromArray(F, sin, t + i);
            FloatVector.fromArray(F, dx, o + i).add(a.mul(c).add(b.mul(s))).intoArray(dx, o + i);
            FloatVector.fromArray(F, dx, o + half + i).add(b.mul(c).sub(a.mul(s))).intoArray(dx, o + half + i);
        }
        for (; i < half; i++) {
            float a = dy[o + i], b = dy[o + i + half], c = cos[t + i], s = sin[t + i];
            dx[o + i] += a * c + b * s;
            dx[o + i + half] += b * c - a * s;
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
