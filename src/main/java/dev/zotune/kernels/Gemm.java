package dev.zotune.kernels;

import dev.zotune.tensor.DType;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Parallel;
import dev.zotune.tensor.Tensor;
import dev.zotune.tensor.Vectors;
import dev.zotune.tensor.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * y[m, out] = x[m, in] · Wᵀ (+ bias), with W in either layout ({@link WeightMatrix}) and any float dtype.
 *
 * <p>Numeric contract: each output y[i,j] is one fused-multiply-add chain over k = 0..in-1 in order,
 * starting from 0f, of x[i,k]·W[j,k]; then bias[j] is added. Results are bit-identical for any thread
 * count and vector width: each output is computed whole by one thread, vector lanes hold distinct
 * output columns, and each K slice continues the chains where the previous one stored them, so no sum
 * is ever re-associated.
 *
 * <p>Blocking (after Goto/BLIS). W is read, over all of K, through {@link Tensor#readFloats} (the one
 * read path of weights: nothing is kept between calls) into panels of NR = 2 vectors of columns,
 * contiguous over k; a block of up to 12 MiB of them (all of W for the transformer's projections) is
 * packed once per call and stays in L3. Per block of at most MC rows of x, the rows are copied once into
 * KC-step slices of MR-row strips, interleaved by k (the MR values of a step are adjacent, so a tile
 * reads one sequential stream), and serve every panel of the weight block: an MR×NR register tile runs
 * over every (OUT_COLS columns, K slice, panel, strip). The weight micro-panel (KC×NR, 16 KiB, half of
 * L1) stays in L1 across the strips, the x slice (MC×KC) in L2 across the panels, and the MC × OUT_COLS
 * outputs in L2 across the K slices, each chain continued where the previous slice stored it; finished
 * panels go to y. Packing x once per row block rather than once per 512 columns cut its packing from
 * about 5 ms to 1.5 ms of a 2048×768×3072 call on 1 thread (~125 ms); on a quiet Zen 3 the fastest runs
 * reach 75-80% of the FMA peak on 1 and 2 threads, the remaining loss being the tile in place (below),
 * writing y (~5 ms of that call, to DRAM) and packing W (~2.5 ms).
 *
 * <p>Threads. With many rows, the threads pack each block of weight columns together, then take blocks
 * of rows from a shared counter; with few rows (decoding), they take chunks of columns, packing their
 * own weights. Dynamic hand-out keeps all threads busy when one runs slower (a shared or noisy
 * machine); it cannot change results, since every output is computed whole by one thread. Row blocks
 * shrink from MC towards TAIL_ROWS as the rows run out (guided self-scheduling): with 16 fixed blocks
 * of 128 rows on 2 threads, the thread that finished first idled for about 6.5 ms of a ~90 ms
 * 2048×768×3072 call (3 ms of 2048×3072×768), the last block being ~6-12 ms of work; shrinking blocks
 * cut that to about 2 ms (1.5 ms).
 *
 * <p>The tile is 4 rows × 2 vectors. C2 issues all loads of a k step before its FMAs, so a tile needs
 * accumulators + NR/L weight vectors + MR broadcasts registers: 4×2 takes 14 of the 16 AVX2 registers and
 * runs at about 93% of peak in isolation (L1-resident operands), whereas 5×2 and 4×3 spill and run at
 * 33-40%; 3×3 (9 chains, 15 registers) runs at about 87%. Its 8 independent chains just cover FMA
 * latency × pipes (4 cycles × 2), so any stall of an operand shows: in place it runs at about 85% of
 * peak.
 */
public final class Gemm {
    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int L = F.length();
    static final int MR = 4;
    static final int NR = 2 * L;
    /** k steps per tile call: a KC×NR weight micro-panel is 16 KiB, half of L1, leaving room for the x stream. */
    static final int KC = 4096 / NR;
    /**
     * Rows of x per block. The weight block is re-read (from L3) once per x block, so this sets the weight
     * traffic; each weight micro-panel serves MC/MR strips. 128 measured best on Zen 3 (64 and 192 ran
     * 5-15% slower on 2 threads).
     */
    static final int MC = 128;
    /**
     * The smallest row block handed out near the end of a call: finer hand-out evens the threads' finish;
     * smaller blocks re-read the weights more often per row.
     */
    private static final int TAIL_ROWS = 32;
    /**
     * Output columns per pass over a row block: the MC × OUT_COLS outputs (256 KiB) stay in L2, with an x
     * slice, across the K slices. A multiple of every NR.
     */
    private static final int OUT_COLS = 512;
    /** Packed weight floats per block (12 MiB): at most W_BLOCK / K columns. */
    private static final int W_BLOCK = 3 << 20;
    /** Column blocks are multiples of this, the widest NR, so they start on panel boundaries. */
    private static final int COL_ALIGN = 32;
    /** Elements per side of the tiles of the backward's transposes: a tile's rows and columns stay in L1. */
    private static final int TILE = 32;

    /** Per-thread buffers, reused across calls; as many as threads ever ran at once. */
    private static final ConcurrentLinkedQueue<Scratch> SCRATCH = new ConcurrentLinkedQueue<>();
    /** Weight blocks shared by the threads of one call; as many as calls ever ran at once. */
    private static final ConcurrentLinkedQueue<float[]> SHARED_W = new ConcurrentLinkedQueue<>();
    /** Chunks of columns per thread when rows are few: enough for the hand-out to even out speeds. */
    private static final int CHUNKS_PER_THREAD = 4;

    /** One product; add: the chains (+ bias) are added to y instead of written (the backward's accumulation). */
    private record Op(float[] x, int m, int k, int n, WeightMatrix w, float[] bias, float[] y, boolean add) {}

    private static final class Scratch {
        /** The weight chunk of a few-row call. */
        float[] w = new float[0];
        float[] x = new float[0];
        /** One k-row of a weight block ([in, out]), or NR weight rows of KC steps ([out, in]). */
        float[] rows = new float[0];
        /** The outputs of an x block and a weight block: per panel, MR-row tiles of NR columns. */
        float[] out = new float[0];
        final int[] wGather = new int[NR];

        static Scratch take() {
            Scratch s = SCRATCH.poll();
            return s != null ? s : new Scratch();
        }

        static float[] ensure(float[] a, int n) {
            if (a.length >= n) return a;
            Memory.release(Memory.Category.SCRATCH, a);
            return Memory.floats(Memory.Category.SCRATCH, n);
        }
    }

    private Gemm() {}

    /**
     * Gives back every reused buffer (no product may be running), so a measurement starts from an
     * empty pool as a fresh process does; they grow again on the next products.
     */
    public static void releasePooledScratch() {
        for (Scratch s; (s = SCRATCH.poll()) != null; )
            for (float[] a : new float[][] {s.w, s.x, s.rows, s.out}) Memory.release(Memory.Category.SCRATCH, a);
        for (float[] w; (w = SHARED_W.poll()) != null; ) Memory.release(Memory.Category.SCRATCH, w);
    }

    /**
     * The SCRATCH floats Gemm's reused buffers grow to over products of the given shapes {m, k, n}
     * (x [m, k] times a k → n weight) on {@link Parallel#threads()} threads: each buffer kind at its
     * largest, per thread, plus the shared weight block. Buffers are kept, so this is the floor of a
     * process's SCRATCH after its first steps (memory estimates).
     */
    public static long pooledScratchFloats(List<int[]> shapes) {
        int threads = Parallel.threads();
        long sharedW = 0, w = 0, x = 0, out = 0, rows = 0;
        for (int[] s : shapes) {
            int m = s[0], k = s[1], n = s[2], slices = (k + KC - 1) / KC;
            if (m == 0 || n == 0 || k == 0) continue;
            if (m <= MC) {
                int perChunk = NR * Math.max(1, padded(n, NR) / NR / (CHUNKS_PER_THREAD * threads));
                int chunk = Math.min(colBlock(k), perChunk), chunks = (n + chunk - 1) / chunk, active = Math.min(threads, chunks);
                int nc = Math.min(chunk, n);
                w = Math.max(w, (long) active * k * padded(nc, NR));
                x = Math.max(x, (long) active * padded(m, MR) * slices * KC);
                out = Math.max(out, (long) active * padded(m, MR) * padded(Math.min(nc, OUT_COLS), NR));
                rows = Math.max(rows, (long) active * Math.max(padded(nc, NR), NR * KC));
            } else {
                int nc = Math.min(colBlock(k), padded(n, NR));
                sharedW = Math.max(sharedW, (long) k * nc);
                x = Math.max(x, (long) threads * padded(Math.min(m, MC), MR) * slices * KC);
                out = Math.max(out, (long) threads * padded(Math.min(m, MC), MR) * padded(Math.min(nc, OUT_COLS), NR));
                rows = Math.max(rows, (long) threads * Math.max(padded(nc / threads, NR), NR * KC));
            }
        }
        return sharedW + w + x + out + rows;
    }

    public static void linear(float[] x, int m, WeightMatrix w, float[] bias, float[] y) {
        product(x, m, w, bias, y, false);
    }

    /** y = x·Wᵀ (+ bias) as {@link #linear}, or, when add, y += x·Wᵀ (+ bias): each chain added to y once, complete. */
    private static void product(float[] x, int m, WeightMatrix w, float[] bias, float[] y, boolean add) {
        int k = w.in(), n = w.out();
        if (m < 0 || x.length < (long) m * k || y.length < (long) m * n || (bias != null && bias.length < n))
            throw new IllegalArgumentException("linear " + m + "×" + k + "→" + n + ": x has " + x.length
                    + " floats, y " + y.length + (bias == null ? "" : ", bias " + bias.length));
        if (m == 0 || n == 0) return;
        if (k == 0) {
            for (int i = 0; i < m * n; i++) {
                float v = bias == null ? 0f : 0f + bias[i % n];
                y[i] = add ? y[i] + v : v;
            }
            return;
        }
        Op op = new Op(x, m, k, n, w, bias, y, add);
        if (m <= MC) fewRows(op);
        else manyRows(op);
    }

    /**
     * Backward of {@link #linear} (y = x·Wᵀ + b, x [rows, in], dy [rows, out]):
     * dx += dy·W; dw += the weight gradient laid out as W is stored, outIn [out, in]: dyᵀ·x, inOut [in, out]:
     * xᵀ·dy; db += the column sums of dy. Any of dx, dw, db may be null: not computed.
     *
     * <p>Numeric contract: each element of dx and dw gets one complete fma chain added to it, the chain as
     * {@link #linear} computes it, over out (dx) or over rows (dw) in order from 0f; each db[j] gets
     * Σ_r dy[r, j], summed over rows in order from 0f. So results do not depend on thread count or vector
     * width. dx is {@link #linear} of dy with the transposed view of W, which reads W only through its
     * tensor's readFloats (so a perturbation hook applies); dw is {@link #linear} of dyᵀ (outIn) or xᵀ
     * (inOut), transposed into SCRATCH, with the other operand wrapped as an [rows, ·] inOut matrix.
     */
    public static void linearBackward(float[] x, int rows, WeightMatrix w, float[] dy, float[] dx, float[] dw, float[] db) {
        int in = w.in(), out = w.out();
        if (rows < 0 || x.length < (long) rows * in || dy.length < (long) rows * out
                || (dx != null && dx.length < (long) rows * in) || (dw != null && dw.length < (long) in * out)
                || (db != null && db.length < out))
            throw new IllegalArgumentException("linearBackward " + rows + "×" + in + "→" + out + ": x has " + x.length
                    + " floats, dy " + dy.length + (dx == null ? "" : ", dx " + dx.length)
                    + (dw == null ? "" : ", dw " + dw.length) + (db == null ? "" : ", db " + db.length));
        if (rows == 0) return;
        if (dx != null) product(dy, rows, new WeightMatrix(w.tensor(), !w.inOut()), null, dx, true);
        if (dw != null) {
            // outIn: dw[o, i] = Σ_r dyᵀ[o, r]·x[r, i]; inOut: dw[i, o] = Σ_r xᵀ[i, r]·dy[r, o].
            float[] a = w.inOut() ? x : dy, b = w.inOut() ? dy : x;
            int aCols = w.inOut() ? in : out, bCols = w.inOut() ? out : in;
            float[] at = Memory.floats(Memory.Category.SCRATCH, Math.multiplyExact(rows, aCols));
            try {
                transpose(a, rows, aCols, at);
                product(at, aCols, WeightMatrix.inOut(rowMajor(b, rows, bCols)), null, dw, true);
            } finally {
                Memory.release(Memory.Category.SCRATCH, at);
            }
        }
        if (db != null) columnSums(dy, rows, out, db);
    }

    /** The first rows·cols floats of a as an fp32 [rows, cols] tensor (no copy). */
    private static Tensor rowMajor(float[] a, int rows, int cols) {
        return new Tensor(DType.F32, new long[] {rows, cols}, MemorySegment.ofArray(a).asSlice(0, 4L * rows * cols));
    }

    /** t[c·rows + r] = a[r·cols + c]: threads split the rows of t, in tiles. */
    private static void transpose(float[] a, int rows, int cols, float[] t) {
        Parallel.forRange(cols, TILE, (c0, c1) -> {
            for (int cb = c0; cb < c1; cb += TILE)
                for (int rb = 0; rb < rows; rb += TILE)
                    for (int c = cb; c < Math.min(c1, cb + TILE); c++)
                        for (int r = rb; r < Math.min(rows, rb + TILE); r++) t[c * rows + r] = a[r * cols + c];
        });
    }

    /** db[j] += Σ_r dy[r·n + j], each sum over r in order from 0f; threads split the columns. */
    private static void columnSums(float[] dy, int rows, int n, float[] db) {
        Parallel.forRange(n, Math.max(TILE, (1 << 15) / rows), (j0, j1) -> {
            float[] s = Memory.floats(Memory.Category.SCRATCH, j1 - j0);
            try {
                for (int r = 0; r < rows; r++)
                    for (int j = j0, o = r * n; j < j1; j++) s[j - j0] += dy[o + j];
                for (int j = j0; j < j1; j++) db[j] += s[j - j0];
            } finally {
                Memory.release(Memory.Category.SCRATCH, s);
            }
        });
    }

    /** Weight columns packed at once for inner dimension k. */
    static int colBlock(int k) {
        return Math.max(COL_ALIGN, W_BLOCK / k / COL_ALIGN * COL_ALIGN);
    }

    private static int padded(int n, int multiple) { return (n + multiple - 1) / multiple * multiple; }

    /** At most MC rows: threads take chunks of columns, each packing the weights of its chunk. */
    private static void fewRows(Op op) {
        int threads = Parallel.threads();
        int perChunk = NR * Math.max(1, padded(op.n, NR) / NR / (CHUNKS_PER_THREAD * threads));
        int chunk = Math.min(colBlock(op.k), perChunk), chunks = (op.n + chunk - 1) / chunk;
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(threads, 1, (a, b) -> {
            Scratch s = Scratch.take();
            try {
                for (int c; (c = next.getAndIncrement()) < chunks; ) {
                    int j0 = c * chunk, nc = Math.min(chunk, op.n - j0);
                    s.w = Scratch.ensure(s.w, op.k * padded(nc, NR));
                    packW(op, j0, nc, s.w, 0, s);
                    rows(op, s, s.w, 0, op.m, j0, nc);
                }
            } finally {
                SCRATCH.offer(s);
            }
        });
    }

    /**
     * Rows in the next block handed out when {@code rest} rows remain: MC while plenty remain, then a
     * quarter (on 2 threads) of the rest, down to TAIL_ROWS, so the threads finish close together.
     */
    static int blockRows(int rest, int threads) {
        return Math.min(rest, Math.min(MC, Math.max(TAIL_ROWS, padded(rest / (2 * threads), MR))));
    }

    /** More than MC rows: per block of weight columns, threads pack its panels, then take blocks of rows. */
    private static void manyRows(Op op) {
        int nc = Math.min(colBlock(op.k), padded(op.n, NR)), threads = Parallel.threads();
        float[] polled = SHARED_W.poll();
        float[] w = Scratch.ensure(polled != null ? polled : new float[0], op.k * nc);
        try {
            for (int jc = 0; jc < op.n; jc += nc) {
                int j0 = jc, ncur = Math.min(nc, op.n - jc);
                Parallel.forRange(ncur, NR, (a, b) -> {
                    Scratch s = Scratch.take();
                    try {
                        packW(op, j0 + a, b - a, w, a * op.k, s);
                    } finally {
                        SCRATCH.offer(s);
                    }
                });
                AtomicInteger next = new AtomicInteger();
                Parallel.forRange(threads, 1, (a, b) -> {
                    Scratch s = Scratch.take();
                    try {
                        for (int i0; (i0 = next.getAndUpdate(i -> i + blockRows(op.m - i, threads))) < op.m; )
                            rows(op, s, w, i0, i0 + blockRows(op.m - i0, threads), j0, ncur);
                    } finally {
                        SCRATCH.offer(s);
                    }
                });
            }
        } finally {
            SHARED_W.offer(w);
        }
    }

    /**
     * Computes y[i0..i1, jc..jc+nc), i1 - i0 ≤ MC, from the weight panels packed at w[0 ..] for columns
     * jc..jc+nc. The rows are packed once, then serve every column of the weight block, OUT_COLS at a time.
     */
    private static void rows(Op op, Scratch s, float[] w, int i0, int i1, int jc, int nc) {
        int k = op.k, mc = i1 - i0, mp = padded(mc, MR), slices = (k + KC - 1) / KC;
        s.x = Scratch.ensure(s.x, mp * slices * KC);
        s.out = Scratch.ensure(s.out, mp * padded(Math.min(nc, OUT_COLS), NR));
        packX(op.x, k, i0, mc, slices, s.x);
        for (int jb = 0; jb < nc; jb += OUT_COLS) {
            int nb = Math.min(OUT_COLS, nc - jb);
            for (int t = 0; t < slices; t++) {
                int pc = t * KC, kc = Math.min(KC, k - pc);
                for (int jr = 0; jr < nb; jr += NR) {
                    for (int ir = 0; ir < mc; ir += MR)
                        microKernel(kc, s.x, (ir * slices + t * MR) * KC, w, (jb + jr) * k + pc * NR, s.out,
                                jr * mp + ir * NR, t == 0);
                    // A finished panel goes to y at once, so its stores drain while the next one computes.
                    if (t == slices - 1)
                        store(s.out, jr * mp, mc, op, i0, jc + jb + jr, Math.min(NR, nb - jr));
                }
            }
        }
    }

    /**
     * Reads columns jc..jc+nc of W, over all k, into panels of NR columns: element (p, j) of panel q
     * lands at dst[off + q·k·NR + p·NR + j]. Columns past nc in the last panel are zero.
     */
    private static void packW(Op op, int jc, int nc, float[] dst, int off, Scratch s) {
        Tensor t = op.w.tensor();
        int k = op.k, padded = padded(nc, NR);
        float[] rows = s.rows = Scratch.ensure(s.rows, Math.max(padded, NR * KC));
        if (op.w.inOut()) {
            // [in, out]: a k-row of the block is contiguous; cut it into panel rows.
            long n = t.dim(1);
            Arrays.fill(rows, nc, padded, 0f);
            for (int p = 0; p < k; p++) {
                t.readFloats(p * n + jc, rows, 0, nc);
                for (int j = 0; j < padded; j += NR) System.arraycopy(rows, j, dst, off + j * k + p * NR, NR);
            }
        } else {
            // [out, in]: read NR weight rows KC steps at a time, gather each step's column into a panel row.
            int[] gather = s.wGather;
            for (int q = 0; q < padded; q += NR) {
                int cols = Math.min(NR, nc - q);
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    for (int j = 0; j < cols; j++) t.readFloats((long) (jc + q + j) * k + pc, rows, j * kc, kc);
                    Arrays.fill(rows, cols * kc, NR * kc, 0f);
                    for (int j = 0; j < NR; j++) gather[j] = j * kc;
                    for (int p = 0, d = off + q * k + pc * NR; p < kc; p++, d += NR) {
                        FloatVector.fromArray(F, rows, p, gather, 0).intoArray(dst, d);
                        FloatVector.fromArray(F, rows, p, gather, L).intoArray(dst, d + L);
                    }
                }
            }
        }
    }

    /**
     * Copies rows ic..ic+mc of x into strips of MR rows cut into KC-step slices, interleaved by step: step p
     * of row i of strip r lands at dst[(r·slices + p / KC)·MR·KC + (p % KC)·MR + i], so a tile reads its
     * MR values of each step together. Rows past mc in the last strip are zero.
     */
    private static void packX(float[] x, int k, int ic, int mc, int slices, float[] dst) {
        for (int r = 0; r < mc; r += MR)
            for (int t = 0; t < slices; t++) {
                int pc = t * KC, kc = Math.min(KC, k - pc), d = (r * slices + t * MR) * KC;
                for (int i = 0; i < MR; i++) {
                    if (r + i < mc) for (int p = 0, s = (ic + r + i) * k + pc; p < kc; p++) dst[d + p * MR + i] = x[s + p];
                    else for (int p = 0; p < kc; p++) dst[d + p * MR + i] = 0f;
                }
            }
    }

    /**
     * Writes (or, for an adding op, adds) the valid mc×nc part of the output tiles at out[oo ..] to y at
     * (ic, jc), with the bias: the chains are complete.
     */
    private static void store(float[] out, int oo, int mc, Op op, int ic, int jc, int nc) {
        float[] y = op.y, bias = op.bias;
        for (int i = 0; i < mc; i++) {
            int o = (ic + i) * op.n + jc, src = oo + i * NR;
            if (nc == NR) {
                FloatVector v0 = FloatVector.fromArray(F, out, src), v1 = FloatVector.fromArray(F, out, src + L);
                if (bias != null) {
                    v0 = v0.add(FloatVector.fromArray(F, bias, jc));
                    v1 = v1.add(FloatVector.fromArray(F, bias, jc + L));
                }
                if (op.add) {
                    v0 = FloatVector.fromArray(F, y, o).add(v0);
                    v1 = FloatVector.fromArray(F, y, o + L).add(v1);
                }
                v0.intoArray(y, o);
                v1.intoArray(y, o + L);
            } else {
                for (int j = 0; j < nc; j++) {
                    float v = bias == null ? out[src + j] : out[src + j] + bias[jc + j];
                    y[o + j] = op.add ? y[o + j] + v : v;
                }
            }
        }
    }

    /**
     * c[co + r·NR + j] for r < MR, j < NR: continues (or, when first, starts from 0f) each output's fma
     * chain over kc steps of the packed x strip slice a[ao ..] and weight micro-panel b[bo ..].
     * Flat, with few live values, so that the 8 accumulators and all loop indices stay in registers.
     */
    private static void microKernel(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, boolean first) {
        FloatVector r00, r01, r10, r11, r20, r21, r30, r31;
        if (first) {
            r00 = FloatVector.zero(F); r01 = FloatVector.zero(F);
            r10 = FloatVector.zero(F); r11 = FloatVector.zero(F);
            r20 = FloatVector.zero(F); r21 = FloatVector.zero(F);
            r30 = FloatVector.zero(F); r31 = FloatVector.zero(F);
        } else {
            r00 = FloatVector.fromArray(F, c, co); r01 = FloatVector.fromArray(F, c, co + L);
            r10 = FloatVector.fromArray(F, c, co + NR); r11 = FloatVector.fromArray(F, c, co + NR + L);
            r20 = FloatVector.fromArray(F, c, co + 2 * NR); r21 = FloatVector.fromArray(F, c, co + 2 * NR + L);
            r30 = FloatVector.fromArray(F, c, co + 3 * NR); r31 = FloatVector.fromArray(F, c, co + 3 * NR + L);
        }
        // Indices are affine in p, so C2 hoists the bounds checks out of the loop.
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * MR, bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(F, b, bi), b1 = FloatVector.fromArray(F, b, bi + L);
            FloatVector x0 = FloatVector.broadcast(F, a[ai]), x1 = FloatVector.broadcast(F, a[ai + 1]);
            FloatVector x2 = FloatVector.broadcast(F, a[ai + 2]), x3 = FloatVector.broadcast(F, a[ai + 3]);
            r00 = x0.fma(b0, r00); r01 = x0.fma(b1, r01);
            r10 = x1.fma(b0, r10); r11 = x1.fma(b1, r11);
            r20 = x2.fma(b0, r20); r21 = x2.fma(b1, r21);
            r30 = x3.fma(b0, r30); r31 = x3.fma(b1, r31);
        }
        r00.intoArray(c, co); r01.intoArray(c, co + L);
        r10.intoArray(c, co + NR); r11.intoArray(c, co + NR + L);
        r20.intoArray(c, co + 2 * NR); r21.intoArray(c, co + 2 * NR + L);
        r30.intoArray(c, co + 3 * NR); r31.intoArray(c, co + 3 * NR + L);
    }
}
