package dev.zotune.kernels;

import static dev.zotune.kernels.VMath.F;
import static dev.zotune.kernels.VMath.L;

import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Parallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.FloatVector;

/**
 * Scaled dot-product attention over a batch, with grouped-query heads, padding masks, causal
 * masking and a sliding window.
 *
 * Layout: q and out are [B·T, nHeads·hd] (query t of sequence b at row b·T + t, absolute
 * position i = past + t). k and v are caches [B·cap, nKv·hd] whose rows b·cap + j, j < past + T,
 * hold keys at position j. Query head h reads kv head h / (nHeads / nKv).
 * Key j is visible from query position i iff keyMask[b·cap + j] != 0 (or keyMask is null), and,
 * when causal, j ≤ i and (window ≤ 0 or i − window < j). A query that sees no key gets zeros.
 *
 * <p>Numeric contract, per query row: the candidate keys are lo ≤ j < hi, [0, past + T) without
 * causal masking, [max(0, i − window + 1) or 0, i + 1) with it. For each candidate,
 * s_j = (q·k_j)·scale with q·k_j one fma chain over d in order from 0, and s_j = −∞ where
 * keyMask hides key j; m = max s_j; e_j = exp(s_j − m) (exp of {@link VMath});
 * p_j = e_j · (1 / Σ e), Σ the canonical 16-lane sum ({@link Ops#sum}) of e_lo..e_{hi−1};
 * out_d = one fma chain of p_j·v_jd over the candidates j in order that have p_j ≠ 0, from 0.
 * So a row depends on its own position only, not on T or past: a decoding step with a KV cache
 * reproduces the rows of a full forward bit for bit, and hidden cache rows are never read into
 * the output. Results do not depend on the vector width or thread count (threads split (b, h)).
 *
 * <p>Scratch per thread: K and V of one head, 2·hd·(past + T) floats, plus a block of score rows.
 */
public final class Attention {
    /** Query rows per score block: each key vector loaded is used for this many rows. */
    private static final int ROWS = 4;

    private Attention() {}

    public static void forward(float[] q, float[] k, float[] v, int B, int T, int past, int cap,
                               int nHeads, int nKv, int hd, int[] keyMask, boolean causal, int window,
                               float scale, float[] out) {
        Shape s = shape(T, past, cap, nHeads, nKv, hd, keyMask, causal, window, scale);
        Parallel.forRange(B * nHeads, 1, (from, to) -> {
            float[] kt = Memory.floats(Memory.Category.SCRATCH, hd * s.width);
            float[] vh = Memory.floats(Memory.Category.SCRATCH, hd * s.len);
            float[] scores = Memory.floats(Memory.Category.SCRATCH, ROWS * s.width);
            float[] qBlock = Memory.floats(Memory.Category.SCRATCH, ROWS * hd);
            try {
                for (int u = from; u < to; u++) head(q, k, v, u / nHeads, u % nHeads, s, kt, vh, scores, qBlock, out);
            } finally {
                Memory.release(Memory.Category.SCRATCH, kt);
                Memory.release(Memory.Category.SCRATCH, vh);
                Memory.release(Memory.Category.SCRATCH, scores);
                Memory.release(Memory.Category.SCRATCH, qBlock);
            }
        });
    }

    /**
     * Backward of {@link #forward}, from the forward's inputs and dOut (out's layout): dq += ∂/∂q, dk += ∂/∂k,
     * dv += ∂/∂v of ⟨dOut, out⟩, dk and dv in k and v's cache layout, including the prefix/cache positions
     * j &lt; past (prefix tuning trains them); rows j ≥ past + T are untouched. Any of dq, dk, dv may be null:
     * not computed.
     *
     * <p>Per query row i of head h, p recomputed exactly as the forward computes it (no stored probabilities):
     * dp_j = dOut_i·v_j (one fma chain over d), D = Σ_j p_j·dp_j (canonical sum over the candidates),
     * ds_j = scale·(p_j·(dp_j − D)), and ds_j = 0 where p_j = 0 (hidden, masked or underflowed keys: their k
     * and v are never read into a result); then dq_i += Σ_j ds_j·k_j (one fma chain per d over j in order,
     * as out), dk_j += Σ_i ds_ij·q_i and dv_j += Σ_i p_ij·dOut_i, the sums over i in fp32 scratch, from 0f,
     * the query rows of the kv head's query heads in order (heads, then positions), as fma steps in that
     * order, then added to dk, dv. A query that sees no key contributes nothing. Accumulation is fp32
     * throughout. Threads split (sequence, kv head) units, each of which alone writes its dk, dv rows and the
     * dq rows of its query heads, so results do not depend on the thread count or vector width.
     *
     * <p>Scratch per thread: K transposed, V transposed and K of one kv head, dK and dV,
     * (3·hd + 2·(past + T)·hd) floats, plus three blocks of score rows.
     */
    public static void backward(float[] q, float[] k, float[] v, int B, int T, int past, int cap, int nHeads, int nKv,
                                int hd, int[] keyMask, boolean causal, int window, float scale, float[] dOut,
                                float[] dq, float[] dk, float[] dv) {
        if (dq == null && dk == null && dv == null) return;
        Shape s = shape(T, past, cap, nHeads, nKv, hd, keyMask, causal, window, scale);
        Parallel.forRange(B * nKv, 1, (from, to) -> {
            try (Scratch sc = new Scratch()) {
                BackwardBuffers bb = new BackwardBuffers(s, sc, dq != null || dk != null);
                for (int u = from; u < to; u++) backwardGroup(q, k, v, dOut, u / nKv, u % nKv, s, bb, dq, dk, dv);
            }
        });
    }

    /** One thread's buffers for {@link #backward}; those for ds (vt, kh, dp, ds, dK) only when dq or dk is wanted. */
    private static final class BackwardBuffers {
        final float[] kt, vt, kh, dK, dV, p, dp, ds, qBlock, dOBlock, row;

        BackwardBuffers(Shape s, Scratch sc, boolean needDs) {
            int kv = s.len * s.hd, block = ROWS * s.width;
            kt = sc.take(s.hd * s.width);
            vt = needDs ? sc.take(s.hd * s.width) : null;
            kh = needDs ? sc.take(kv) : null;
            dK = needDs ? sc.take(kv) : null;
            dV = sc.take(kv);
            p = sc.take(block);
            dp = needDs ? sc.take(block) : null;
            ds = needDs ? sc.take(block) : null;
            qBlock = sc.take(ROWS * s.hd);
            dOBlock = sc.take(ROWS * s.hd);
            row = sc.take(s.hd);
        }
    }

    /** The gradients of kv head g of sequence b: all its query heads' rows, then dK, dV added to dk, dv. */
    private static void backwardGroup(float[] q, float[] k, float[] v, float[] dOut, int b, int g, Shape s,
                                      BackwardBuffers bb, float[] dq, float[] dk, float[] dv) {
        int hd = s.hd, w = s.width, qStride = s.nHeads * hd, kvStride = s.nKv * hd, group = s.nHeads / s.nKv;
        int kvOff = b * s.cap * kvStride + g * hd;
        boolean needDs = dq != null || dk != null;
        for (int j = 0; j < s.len; j++)
            for (int d = 0; d < hd; d++) {
                bb.kt[d * w + j] = k[kvOff + j * kvStride + d];
                if (needDs) bb.vt[d * w + j] = v[kvOff + j * kvStride + d];
            }
        if (needDs) {
            for (int j = 0; j < s.len; j++) System.arraycopy(k, kvOff + j * kvStride, bb.kh, j * hd, hd);
            Arrays.fill(bb.dK, 0f);
        }
        Arrays.fill(bb.dV, 0f);
        for (int h = g * group; h < (g + 1) * group; h++)
            for (int t0 = 0; t0 < s.T; t0 += ROWS) {
                int rows = Math.min(ROWS, s.T - t0), i0 = s.past + t0, lo0 = s.lo(i0), hi1 = s.hi(i0 + rows - 1);
                int j0 = lo0 / (2 * L) * (2 * L);
                for (int r = 0; r < ROWS; r++) {
                    int o = (b * s.T + t0 + r) * qStride + h * hd;
                    if (r < rows) {
                        System.arraycopy(q, o, bb.qBlock, r * hd, hd);
                        System.arraycopy(dOut, o, bb.dOBlock, r * hd, hd);
                    } else {
                        Arrays.fill(bb.qBlock, r * hd, (r + 1) * hd, 0f);
                        Arrays.fill(bb.dOBlock, r * hd, (r + 1) * hd, 0f);
                    }
                }
                scoreBlock(bb.qBlock, bb.kt, hd, w, j0, hi1, s.scale, bb.p);
                // Each row's p over the block's key range [lo0, hi1): its softmax within [lo, hi), 0 outside.
                for (int r = 0; r < ROWS; r++) {
                    int i = i0 + r, lo = r < rows ? s.lo(i) : hi1, hi = r < rows ? s.hi(i) : hi1;
                    if (r < rows) softmaxRow(bb.p, r * w, lo, hi, s.keyMask, b * s.cap);
                    Arrays.fill(bb.p, r * w + lo0, r * w + lo, 0f);
                    Arrays.fill(bb.p, r * w + hi, r * w + hi1, 0f);
                }
                if (needDs) {
                    scoreBlock(bb.dOBlock, bb.vt, hd, w, j0, hi1, 1f, bb.dp);
                    for (int r = 0; r < ROWS; r++) {
                        int i = i0 + r, lo = r < rows ? s.lo(i) : hi1, hi = r < rows ? s.hi(i) : hi1;
                        softmaxBackwardRow(bb.p, bb.dp, bb.ds, r * w, lo0, lo, hi, hi1, s.scale);
                        if (dq == null || r >= rows) continue;
                        weightedSum(bb.ds, r * w, lo, hi, bb.kh, hd, bb.row, 0);
                        int o = (b * s.T + t0 + r) * qStride + h * hd;
                        for (int d = 0; d < hd; d++) dq[o + d] += bb.row[d];
                    }
                    if (dk != null) addOuter(bb.ds, w, lo0, hi1, bb.qBlock, hd, bb.dK);
                }
                if (dv != null) addOuter(bb.p, w, lo0, hi1, bb.dOBlock, hd, bb.dV);
            }
        for (int j = 0; j < s.len; j++)
            for (int d = 0, o = kvOff + j * kvStride; d < hd; d++) {
                if (dk != null) dk[o + d] += bb.dK[j * hd + d];
                if (dv != null) dv[o + d] += bb.dV[j * hd + d];
            }
    }

    /**
     * ds[o + j] for lo0 ≤ j &lt; hi1 from the row's p and dp: scale·(p_j·(dp_j − D)) within [lo, hi), D the
     * canonical sum of p_j·dp_j there; 0 where p_j = 0 and outside [lo, hi).
     */
    private static void softmaxBackwardRow(float[] p, float[] dp, float[] ds, int o, int lo0, int lo, int hi, int hi1,
                                           float scale) {
        for (int j = lo; j < hi; j++) ds[o + j] = p[o + j] == 0f ? 0f : p[o + j] * dp[o + j];
        float dot = Ops.sum(ds, o + lo, hi - lo);
        for (int j = lo; j < hi; j++) ds[o + j] = p[o + j] == 0f ? 0f : scale * (p[o + j] * (dp[o + j] - dot));
        Arrays.fill(ds, o + lo0, o + lo, 0f);
        Arrays.fill(ds, o + hi, o + hi1, 0f);
    }

    /**
     * acc[j·hd + d] += Σ_r c[r·w + j]·x[r·hd + d] for lo ≤ j &lt; hi, as ROWS fma steps r = 0, 1, .. on each
     * element; a key whose ROWS coefficients are all 0 is skipped. Vectorized over d.
     */
    private static void addOuter(float[] c, int w, int lo, int hi, float[] x, int hd, float[] acc) {
        for (int j = lo; j < hi; j++) {
            float c0 = c[j], c1 = c[w + j], c2 = c[2 * w + j], c3 = c[3 * w + j];
            if (c0 == 0f && c1 == 0f && c2 == 0f && c3 == 0f) continue;
            FloatVector b0 = FloatVector.broadcast(F, c0), b1 = FloatVector.broadcast(F, c1);
            FloatVector b2 = FloatVector.broadcast(F, c2), b3 = FloatVector.broadcast(F, c3);
            int o = j * hd, d = 0;
            for (; d + L <= hd; d += L) {
                FloatVector a = FloatVector.fromArray(F, acc, o + d);
                a = b0.fma(FloatVector.fromArray(F, x, d), a);
                a = b1.fma(FloatVector.fromArray(F, x, hd + d), a);
                a = b2.fma(FloatVector.fromArray(F, x, 2 * hd + d), a);
                a = b3.fma(FloatVector.fromArray(F, x, 3 * hd + d), a);
                a.intoArray(acc, o + d);
            }
            for (; d < hd; d++) {
                float a = Math.fma(c0, x[d], acc[o + d]);
                a = Math.fma(c1, x[hd + d], a);
                a = Math.fma(c2, x[2 * hd + d], a);
                acc[o + d] = Math.fma(c3, x[3 * hd + d], a);
            }
        }
    }

    /**
     * JVP of {@link #forward}: writes tOut (out's layout), the derivative of out along tangents tq, tk, tv
     * (their inputs' layouts; null means zero). Per query row, with p as the forward computes it:
     * ts_j = scale·(tq·k_j) + scale·(q·tk_j) (each dot one fma chain over d), m = Σ_j p_j·ts_j (canonical
     * sum over the candidates), tp_j = p_j·(ts_j − m) (0 where p_j = 0), and
     * tOut = Σ_j p_j·tv_j + Σ_j tp_j·v_j, each sum one fma chain per d over the keys with non-zero weight,
     * as out; the two sums are then added. A query that sees no key gets zeros. Threads split (b, h) as
     * the forward does; results do not depend on the thread count or vector width.
     */
    public static void jvp(float[] q, float[] k, float[] v, float[] tq, float[] tk, float[] tv, int B, int T, int past,
                           int cap, int nHeads, int nKv, int hd, int[] keyMask, boolean causal, int window, float scale,
                           float[] tOut) {
        Shape s = shape(T, past, cap, nHeads, nKv, hd, keyMask, causal, window, scale);
        Parallel.forRange(B * nHeads, 1, (from, to) -> {
            try (Scratch sc = new Scratch()) {
                JvpBuffers jb = new JvpBuffers(s, sc, tq != null, tk != null, tv != null);
                for (int u = from; u < to; u++) jvpHead(q, k, v, tq, tk, tv, u / nHeads, u % nHeads, s, jb, tOut);
            }
        });
    }

    /** One thread's buffers for {@link #jvp}, for the tangents given. */
    private static final class JvpBuffers {
        final float[] kt, vh, tkt, tvh, p, ts, ts2, e, qBlock, tqBlock, row;

        JvpBuffers(Shape s, Scratch sc, boolean hasTq, boolean hasTk, boolean hasTv) {
            int block = ROWS * s.width;
            boolean tp = hasTq || hasTk;
            kt = sc.take(s.hd * s.width);
            vh = tp ? sc.take(s.hd * s.len) : null;
            tkt = hasTk ? sc.take(s.hd * s.width) : null;
            tvh = hasTv ? sc.take(s.hd * s.len) : null;
            p = sc.take(block);
            ts = tp ? sc.take(block) : null;
            ts2 = hasTq && hasTk ? sc.take(block) : null;
            e = tp ? sc.take(s.width) : null;
            qBlock = sc.take(ROWS * s.hd);
            tqBlock = hasTq ? sc.take(ROWS * s.hd) : null;
            row = sc.take(s.hd);
        }
    }

    private static void jvpHead(float[] q, float[] k, float[] v, float[] tq, float[] tk, float[] tv, int b, int h,
                                Shape s, JvpBuffers jb, float[] tOut) {
        int hd = s.hd, w = s.width, qStride = s.nHeads * hd, kvStride = s.nKv * hd;
        int kvOff = b * s.cap * kvStride + (h / (s.nHeads / s.nKv)) * hd;
        boolean tp = tq != null || tk != null;
        for (int j = 0; j < s.len; j++)
            for (int d = 0; d < hd; d++) {
                jb.kt[d * w + j] = k[kvOff + j * kvStride + d];
                if (tk != null) jb.tkt[d * w + j] = tk[kvOff + j * kvStride + d];
            }
        for (int j = 0; j < s.len; j++) {
            if (tp) System.arraycopy(v, kvOff + j * kvStride, jb.vh, j * hd, hd);
            if (tv != null) System.arraycopy(tv, kvOff + j * kvStride, jb.tvh, j * hd, hd);
        }
        for (int t0 = 0; t0 < s.T; t0 += ROWS) {
            int rows = Math.min(ROWS, s.T - t0), i0 = s.past + t0, hi1 = s.hi(i0 + rows - 1);
            int j0 = s.lo(i0) / (2 * L) * (2 * L);
            for (int r = 0; r < ROWS; r++) {
                int o = (b * s.T + t0 + r) * qStride + h * hd;
                if (r < rows) {
                    System.arraycopy(q, o, jb.qBlock, r * hd, hd);
                    if (tq != null) System.arraycopy(tq, o, jb.tqBlock, r * hd, hd);
                } else {
                    Arrays.fill(jb.qBlock, r * hd, (r + 1) * hd, 0f);
                    if (tq != null) Arrays.fill(jb.tqBlock, r * hd, (r + 1) * hd, 0f);
                }
            }
            scoreBlock(jb.qBlock, jb.kt, hd, w, j0, hi1, s.scale, jb.p);
            if (tq != null) scoreBlock(jb.tqBlock, jb.kt, hd, w, j0, hi1, s.scale, jb.ts);
            if (tk != null) scoreBlock(jb.qBlock, jb.tkt, hd, w, j0, hi1, s.scale, tq != null ? jb.ts2 : jb.ts);
            for (int r = 0; r < rows; r++) {
                int i = i0 + r, lo = s.lo(i), hi = s.hi(i), po = r * w, o = (b * s.T + t0 + r) * qStride + h * hd;
                softmaxRow(jb.p, po, lo, hi, s.keyMask, b * s.cap);
                if (tv != null) weightedSum(jb.p, po, lo, hi, jb.tvh, hd, tOut, o);
                else if (!tp) Arrays.fill(tOut, o, o + hd, 0f);
                if (!tp) continue;
                if (tq != null && tk != null) for (int j = lo; j < hi; j++) jb.ts[po + j] += jb.ts2[po + j];
                for (int j = lo; j < hi; j++) jb.e[j] = jb.p[po + j] == 0f ? 0f : jb.p[po + j] * jb.ts[po + j];
                float m = Ops.sum(jb.e, lo, hi - lo);
                for (int j = lo; j < hi; j++)
                    jb.ts[po + j] = jb.p[po + j] == 0f ? 0f : jb.p[po + j] * (jb.ts[po + j] - m);
                weightedSum(jb.ts, po, lo, hi, jb.vh, hd, jb.row, 0);
                for (int d = 0; d < hd; d++) tOut[o + d] = tv != null ? tOut[o + d] + jb.row[d] : jb.row[d];
            }
        }
    }

    /** SCRATCH buffers of one thread, released together. */
    private static final class Scratch implements AutoCloseable {
        private final List<float[]> held = new ArrayList<>();

        float[] take(int n) {
            float[] a = Memory.floats(Memory.Category.SCRATCH, n);
            held.add(a);
            return a;
        }

        @Override
        public void close() {
            for (float[] a : held) Memory.release(Memory.Category.SCRATCH, a);
        }
    }

    /** The call's Shape, after checking the head counts and the cache capacity. */
    private static Shape shape(int T, int past, int cap, int nHeads, int nKv, int hd, int[] keyMask, boolean causal,
                               int window, float scale) {
        if (nHeads % nKv != 0) throw new IllegalArgumentException("nHeads " + nHeads + " is not a multiple of nKv " + nKv);
        if (cap < past + T) throw new IllegalArgumentException("cache capacity " + cap + " < past + T = " + (past + T));
        return new Shape(T, past, cap, nHeads, nKv, hd, keyMask, causal, window, scale);
    }

    /** The call's sizes and masking; width: the row length of the scratch, past + T rounded up with room for a vector past the end. */
    private record Shape(int T, int past, int cap, int nHeads, int nKv, int hd, int[] keyMask, boolean causal,
                         int window, float scale, int len, int width) {
        Shape(int T, int past, int cap, int nHeads, int nKv, int hd, int[] keyMask, boolean causal, int window, float scale) {
            this(T, past, cap, nHeads, nKv, hd, keyMask, causal, window, scale, past + T,
                    (past + T + L + 2 * L - 1) / (2 * L) * (2 * L));
        }

        int lo(int i) { return causal && window > 0 ? Math.max(0, i - window + 1) : 0; }
        int hi(int i) { return causal ? i + 1 : len; }
    }

    /**
     * One (sequence b, head h): K transposed into kt and V gathered into vh (contiguous rows: cache
     * rows are nKv·hd apart, a stride that maps onto few L1 sets), then blocks of ROWS query rows.
     */
    private static void head(float[] q, float[] k, float[] v, int b, int h, Shape s, float[] kt, float[] vh,
                             float[] scores, float[] qBlock, float[] out) {
        int hd = s.hd, w = s.width, qStride = s.nHeads * hd, kvStride = s.nKv * hd;
        int kvOff = b * s.cap * kvStride + (h / (s.nHeads / s.nKv)) * hd;
        for (int j = 0; j < s.len; j++)
            for (int d = 0; d < hd; d++) kt[d * w + j] = k[kvOff + j * kvStride + d];
        for (int j = 0; j < s.len; j++) System.arraycopy(v, kvOff + j * kvStride, vh, j * hd, hd);
        for (int t0 = 0; t0 < s.T; t0 += ROWS) {
            int rows = Math.min(ROWS, s.T - t0);
            for (int r = 0; r < ROWS; r++)
                if (r < rows) System.arraycopy(q, (b * s.T + t0 + r) * qStride + h * hd, qBlock, r * hd, hd);
                else Arrays.fill(qBlock, r * hd, (r + 1) * hd, 0f);
            int i0 = s.past + t0;
            scoreBlock(qBlock, kt, hd, w, s.lo(i0) / (2 * L) * (2 * L), s.hi(i0 + rows - 1), s.scale, scores);
            for (int r = 0; r < rows; r++) {
                int i = i0 + r;
                softmaxRow(scores, r * w, s.lo(i), s.hi(i), s.keyMask, b * s.cap);
                int o = (b * s.T + t0 + r) * qStride + h * hd;
                weightedSum(scores, r * w, s.lo(i), s.hi(i), vh, hd, out, o);
            }
        }
    }

    /**
     * scores[r·w + j] = (Σ_d fma chain qBlock[r·hd + d]·kt[d·w + j])·scale for r &lt; ROWS and
     * j0 ≤ j &lt; hi rounded up to 2L columns: a ROWS × 2-vector register block, each lane one key's chain.
     */
    private static void scoreBlock(float[] qBlock, float[] kt, int hd, int w, int j0, int hi, float scale, float[] scores) {
        for (int j = j0; j < hi; j += 2 * L) {
            FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a10 = FloatVector.zero(F), a11 = FloatVector.zero(F);
            FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a30 = FloatVector.zero(F), a31 = FloatVector.zero(F);
            for (int d = 0; d < hd; d++) {
                FloatVector k0 = FloatVector.fromArray(F, kt, d * w + j), k1 = FloatVector.fromArray(F, kt, d * w + j + L);
                FloatVector q0 = FloatVector.broadcast(F, qBlock[d]);
                a00 = q0.fma(k0, a00);
                a01 = q0.fma(k1, a01);
                FloatVector q1 = FloatVector.broadcast(F, qBlock[hd + d]);
                a10 = q1.fma(k0, a10);
                a11 = q1.fma(k1, a11);
                FloatVector q2 = FloatVector.broadcast(F, qBlock[2 * hd + d]);
                a20 = q2.fma(k0, a20);
                a21 = q2.fma(k1, a21);
                FloatVector q3 = FloatVector.broadcast(F, qBlock[3 * hd + d]);
                a30 = q3.fma(k0, a30);
                a31 = q3.fma(k1, a31);
            }
            a00.mul(scale).intoArray(scores, j);
            a01.mul(scale).intoArray(scores, j + L);
            a10.mul(scale).intoArray(scores, w + j);
            a11.mul(scale).intoArray(scores, w + j + L);
            a20.mul(scale).intoArray(scores, 2 * w + j);
            a21.mul(scale).intoArray(scores, 2 * w + j + L);
            a30.mul(scale).intoArray(scores, 3 * w + j);
            a31.mul(scale).intoArray(scores, 3 * w + j + L);
        }
    }

    /** Scores at p[o + lo .. o + hi) become the probabilities p_j of the contract; a row that sees no key becomes all 0. */
    private static void softmaxRow(float[] p, int o, int lo, int hi, int[] keyMask, int maskOff) {
        if (keyMask != null)
            for (int j = lo; j < hi; j++) if (keyMask[maskOff + j] == 0) p[o + j] = Float.NEGATIVE_INFINITY;
        float max = Ops.max(p, o + lo, hi - lo);
        if (max == Float.NEGATIVE_INFINITY) {
            Arrays.fill(p, o + lo, o + hi, 0f);
            return;
        }
        int nv = (hi - lo + L - 1) / L * L;   // may run past hi into the row's slack; those values are unused
        Ops.expShifted(p, o + lo, p, o + lo, nv, max);
        float inv = 1f / Ops.sum(p, o + lo, hi - lo);
        for (int j = 0; j < nv; j += L) FloatVector.fromArray(F, p, o + lo + j).mul(inv).intoArray(p, o + lo + j);
    }

    /**
     * out[o + d] = fma chain over j in [lo, hi) with p_j ≠ 0 of p_j·v[j·hd + d], vectorized over d. The
     * chains are sequential in j, so speed comes from many independent d-vectors per pass over j.
     */
    private static void weightedSum(float[] p, int po, int lo, int hi, float[] v, int hd, float[] out, int o) {
        int d = 0;
        for (; d + 8 * L <= hd; d += 8 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            FloatVector a4 = FloatVector.zero(F), a5 = FloatVector.zero(F), a6 = FloatVector.zero(F), a7 = FloatVector.zero(F);
            for (int j = lo; j < hi; j++) {
                float pj = p[po + j];
                if (pj == 0f) continue;
                FloatVector pv = FloatVector.broadcast(F, pj);
                int vo = j * hd + d;
                a0 = pv.fma(FloatVector.fromArray(F, v, vo), a0);
                a1 = pv.fma(FloatVector.fromArray(F, v, vo + L), a1);
                a2 = pv.fma(FloatVector.fromArray(F, v, vo + 2 * L), a2);
                a3 = pv.fma(FloatVector.fromArray(F, v, vo + 3 * L), a3);
                a4 = pv.fma(FloatVector.fromArray(F, v, vo + 4 * L), a4);
                a5 = pv.fma(FloatVector.fromArray(F, v, vo + 5 * L), a5);
                a6 = pv.fma(FloatVector.fromArray(F, v, vo + 6 * L), a6);
                a7 = pv.fma(FloatVector.fromArray(F, v, vo + 7 * L), a7);
            }
            a0.intoArray(out, o + d);
            a1.intoArray(out, o + d + L);
            a2.intoArray(out, o + d + 2 * L);
            a3.intoArray(out, o + d + 3 * L);
            a4.intoArray(out, o + d + 4 * L);
            a5.intoArray(out, o + d + 5 * L);
            a6.intoArray(out, o + d + 6 * L);
            a7.intoArray(out, o + d + 7 * L);
        }
        for (; d + 4 * L <= hd; d += 4 * L) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            for (int j = lo; j < hi; j++) {
                float pj = p[po + j];
                if (pj == 0f) continue;
                FloatVector pv = FloatVector.broadcast(F, pj);
                int vo = j * hd + d;
                a0 = pv.fma(FloatVector.fromArray(F, v, vo), a0);
                a1 = pv.fma(FloatVector.fromArray(F, v, vo + L), a1);
                a2 = pv.fma(FloatVector.fromArray(F, v, vo + 2 * L), a2);
                a3 = pv.fma(FloatVector.fromArray(F, v, vo + 3 * L), a3);
            }
            a0.intoArray(out, o + d);
            a1.intoArray(out, o + d + L);
            a2.intoArray(out, o + d + 2 * L);
            a3.intoArray(out, o + d + 3 * L);
        }
        for (; d + L <= hd; d += L) {
            FloatVector a = FloatVector.zero(F);
            for (int j = lo; j < hi; j++) {
                float pj = p[po + j];
                if (pj != 0f) a = FloatVector.broadcast(F, pj).fma(FloatVector.fromArray(F, v, j * hd + d), a);
            }
            a.intoArray(out, o + d);
        }
        for (; d < hd; d++) {
            float a = 0f;
            for (int j = lo; j < hi; j++) {
                float pj = p[po + j];
                if (pj != 0f) a = Math.fma(pj, v[j * hd + d], a);
            }
            out[o + d] = a;
        }
    }
}
