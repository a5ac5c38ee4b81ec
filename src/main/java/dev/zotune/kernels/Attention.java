package dev.zotune.kernels;

import static dev.zotune.kernels.VMath.F;
import static dev.zotune.kernels.VMath.L;

import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Parallel;
import java.util.Arrays;
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
        if (nHeads % nKv != 0) throw new IllegalArgumentException("nHeads " + nHeads + " is not a multiple of nKv " + nKv);
        if (cap < past + T) throw new IllegalArgumentException("cache capacity " + cap + " < past + T = " + (past + T));
        Shape s = new Shape(T, past, cap, nHeads, nKv, hd, keyMask, causal, window, scale);
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
