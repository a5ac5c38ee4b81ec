package dev.zotune.zo;

import dev.zotune.tensor.Vectors;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import java.util.Arrays;

/**
 * The perturbation direction z: i.i.d. standard normal values addressed by (seed, stream, index),
 * never stored. The zeroth-order optimizers regenerate z wherever they need it.
 *
 * <p>Numeric contract (what every implementation, scalar or vector, must give bit for bit):
 * element i belongs to group g = i / 16; within it m = i mod 16, pair p = m mod 8, and m / 8 picks
 * cos (0) or sin (1). Pair p reads Philox4x32-10 block j = 4g + (p mod 4) with counter
 * (lo32(j), hi32(j), stream, 0) and key (lo32(seed), hi32(seed)); its words (a, b) are words
 * (0, 1) for p &lt; 4 and (2, 3) otherwise. Then u1 = ((a >>> 8) + 1)·2⁻²⁴ ∈ (0, 1],
 * u2 = (b >>> 8)·2⁻²⁴ ∈ [0, 1) (both exact in fp32), and Box–Muller gives
 * z = sqrt(−2·ln u1)·cos(2π·u2) or ·sin(2π·u2), with ln, sin and cos the fixed fp32 polynomial
 * sequences below (fma where written). |z| ≤ 5.77 (the 24-bit u1 bounds the tail).
 * Accuracy against float64 Box–Muller on the same u1, u2: about 1e-6 relative.
 */
public final class GaussianNoise {
    private static final VectorSpecies<Long> LS = LongVector.SPECIES_256;            // 4 lanes: one group's blocks
    private static final VectorSpecies<Float> BS = Vectors.F.length() > 8 ? FloatVector.SPECIES_256 : Vectors.F;
    private static final VectorSpecies<Integer> BI = BS.withLanes(int.class);
    private static final VectorSpecies<Float> F = Vectors.F;
    private static final long MASK = 0xFFFFFFFFL;

    static final int GROUP = 16;
    /** Groups generated per pass: small enough that the scratch stays in L1. */
    private static final int CHUNK_GROUPS = 64;

    // ln m for m ∈ [√½, √2): 2s·(1 + s²/3 + s⁴/5 + s⁶/7 + s⁸/9), s = (m−1)/(m+1), |s| ≤ 0.1716
    static final float LN2 = 0.693147181f, SQRT2 = 1.41421356f;
    static final float L1 = 1f / 3, L2 = 1f / 5, L3 = 1f / 7, L4 = 1f / 9;
    // sin and cos of θ ∈ [−π/4, π/4): Taylor to θ⁹ and θ¹⁰
    static final float S1 = -1f / 6, S2 = 1f / 120, S3 = -1f / 5040, S4 = 1f / 362880;
    static final float C1 = -0.5f, C2 = 1f / 24, C3 = -1f / 720, C4 = 1f / 40320, C5 = -1f / 3628800;
    static final float HALF_PI = 1.57079633f, INV_SQRT2 = 0.707106781f, TWO_M24 = 0x1p-24f;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final int[] u1 = new int[CHUNK_GROUPS * 8], u2 = new int[CHUNK_GROUPS * 8];
        final float[] z = new float[CHUNK_GROUPS * GROUP];
    }

    private GaussianNoise() {}

    /** dst[off + k] = fma(scale, z(seed, stream, from + k), dst[off + k]) for k &lt; len. */
    public static void addScaled(long seed, int stream, long from, float scale, float[] dst, int off, int len) {
        if (len <= 0) return;
        Scratch s = SCRATCH.get();
        long end = from + len;
        for (long g = from / GROUP; g * GROUP < end; g += CHUNK_GROUPS) {
            int groups = (int) Math.min(CHUNK_GROUPS, (end - g * GROUP + GROUP - 1) / GROUP);
            philox(seed, stream, g, groups, s);
            boxMuller(s.u1, s.u2, s.z, groups);
            long lo = Math.max(from, g * GROUP), hi = Math.min(end, (g + groups) * GROUP);
            axpy(scale, s.z, (int) (lo - g * GROUP), dst, off + (int) (lo - from), (int) (hi - lo));
        }
    }

    /** dst[off + k] = z(seed, stream, from + k). */
    public static void fill(long seed, int stream, long from, float[] dst, int off, int len) {
        Arrays.fill(dst, off, off + len, 0f);
        addScaled(seed, stream, from, 1f, dst, off, len);
    }

    /**
     * The raw bits of groups [g, g + groups): u1 words at 8·group + p, u2 words likewise; one group
     * (four blocks) per vector. Operands are masked to 32 bits at each multiply so C2 can use a
     * single 32×32→64 multiply.
     */
    private static void philox(long seed, int stream, long g, int groups, Scratch s) {
        LongVector m0 = LongVector.broadcast(LS, Philox.M0 & MASK), m1 = LongVector.broadcast(LS, Philox.M1 & MASK);
        LongVector lane = LongVector.zero(LS).addIndex(1);
        for (int q = 0; q < groups; q++) {
            LongVector j = lane.add(4 * (g + q));
            LongVector c0 = j.and(MASK), c1 = j.lanewise(VectorOperators.LSHR, 32);
            LongVector c2 = LongVector.broadcast(LS, stream & MASK), c3 = LongVector.zero(LS);
            long k0 = seed & MASK, k1 = seed >>> 32;
            for (int r = 0; r < Philox.ROUNDS; r++) {
                LongVector p0 = c0.and(MASK).mul(m0.and(MASK)), p1 = c2.and(MASK).mul(m1.and(MASK));
                c0 = p1.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, c1).lanewise(VectorOperators.XOR, k0);
                c2 = p0.lanewise(VectorOperators.LSHR, 32).lanewise(VectorOperators.XOR, c3).lanewise(VectorOperators.XOR, k1);
                c1 = p1.and(MASK);
                c3 = p0.and(MASK);
                k0 = (k0 + (Philox.W0 & MASK)) & MASK;
                k1 = (k1 + (Philox.W1 & MASK)) & MASK;
            }
            store(c0, s.u1, 8 * q);
            store(c2, s.u1, 8 * q + 4);
            store(c1, s.u2, 8 * q);
            store(c3, s.u2, 8 * q + 4);
        }
    }

    private static void store(LongVector words, int[] dst, int at) {
        ((IntVector) words.convertShape(VectorOperators.L2I, IntVector.SPECIES_128, 0)).intoArray(dst, at);
    }

    /** z for each pair: cos parts at 16·group + p, sin parts at 16·group + 8 + p. */
    private static void boxMuller(int[] u1, int[] u2, float[] z, int groups) {
        int n = BS.length();
        for (int q = 0; q < groups; q++)
            for (int p = 0; p < 8; p += n) {
                int i = 8 * q + p;
                FloatVector a = IntVector.fromArray(BI, u1, i).lanewise(VectorOperators.LSHR, 8).add(1)
                        .convert(VectorOperators.I2F, 0).reinterpretAsFloats().mul(TWO_M24);
                FloatVector b = IntVector.fromArray(BI, u2, i).lanewise(VectorOperators.LSHR, 8)
                        .convert(VectorOperators.I2F, 0).reinterpretAsFloats().mul(TWO_M24);
                // radius: sqrt(−2 ln a), a = 2^e·m with m ∈ [√½, √2)
                IntVector bits = a.reinterpretAsInts();
                IntVector e = bits.lanewise(VectorOperators.LSHR, 23).sub(127);
                FloatVector m = bits.and(0x007FFFFF).or(0x3F800000).reinterpretAsFloats();
                var big = m.compare(VectorOperators.GT, SQRT2);
                m = m.blend(m.mul(0.5f), big);
                e = e.blend(e.add(1), big.cast(BI));
                FloatVector s = m.sub(1f).div(m.add(1f)), s2 = s.mul(s);
                FloatVector poly = s2.fma(L4, L3).fma(s2, FloatVector.broadcast(BS, L2))
                        .fma(s2, FloatVector.broadcast(BS, L1)).fma(s2, FloatVector.broadcast(BS, 1f));
                FloatVector ln = e.convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(FloatVector.broadcast(BS, LN2), s.add(s).mul(poly));
                FloatVector r = ln.mul(-2f).sqrt();
                // angle 2π·b = quadrant·π/2 + π/4 + θ, θ ∈ [−π/4, π/4)
                FloatVector t = b.mul(4f);
                IntVector quadrant = t.convert(VectorOperators.F2I, 0).reinterpretAsInts();
                FloatVector th = t.sub(quadrant.convert(VectorOperators.I2F, 0).reinterpretAsFloats()).sub(0.5f).mul(HALF_PI);
                FloatVector th2 = th.mul(th);
                FloatVector ps = th2.fma(S4, S3).fma(th2, FloatVector.broadcast(BS, S2))
                        .fma(th2, FloatVector.broadcast(BS, S1));
                FloatVector sn = th.mul(th2).fma(ps, th);
                FloatVector pc = th2.fma(C5, C4).fma(th2, FloatVector.broadcast(BS, C3))
                        .fma(th2, FloatVector.broadcast(BS, C2)).fma(th2, FloatVector.broadcast(BS, C1));
                FloatVector cs = th2.fma(pc, FloatVector.broadcast(BS, 1f));
                FloatVector sa = sn.add(cs).mul(INV_SQRT2), ca = cs.sub(sn).mul(INV_SQRT2);
                // rotate by the quadrant: (sin, cos) = (sa, ca), (ca, −sa), (−sa, −ca), (−ca, sa)
                var q1 = quadrant.and(1).compare(VectorOperators.NE, 0).cast(BS);
                var q2 = quadrant.and(2).compare(VectorOperators.NE, 0).cast(BS);
                FloatVector sinv = sa.blend(ca, q1), cosv = ca.blend(sa.neg(), q1);
                sinv = sinv.blend(sinv.neg(), q2);
                cosv = cosv.blend(cosv.neg(), q2);
                r.mul(cosv).intoArray(z, GROUP * q + p);
                r.mul(sinv).intoArray(z, GROUP * q + 8 + p);
            }
    }

    private static void axpy(float scale, float[] z, int zo, float[] dst, int off, int len) {
        int k = 0;
        FloatVector sv = FloatVector.broadcast(F, scale);
        for (int bound = F.loopBound(len); k < bound; k += F.length())
            sv.fma(FloatVector.fromArray(F, z, zo + k), FloatVector.fromArray(F, dst, off + k)).intoArray(dst, off + k);
        for (; k < len; k++) dst[off + k] = Math.fma(scale, z[zo + k], dst[off + k]);
    }
}
