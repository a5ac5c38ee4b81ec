package dev.zotune.zo;

import static dev.zotune.zo.GaussianNoise.*;
import static java.lang.Math.fma;

/** GaussianNoise's numeric contract as plain scalar code: the reference for the vector version. */
final class ScalarNoise {
    private ScalarNoise() {}

    /** The 32-bit word w(i) of element i. */
    static int word(long seed, int stream, long i) {
        long key = splitMix(splitMix(seed + GAMMA) + (((long) stream << 32) | (i >>> 32)));
        int x = (int) i + (int) key;
        x = (x ^ (x >>> 17)) * H0;
        x ^= (int) (key >>> 32);
        x = (x ^ (x >>> 11)) * H1;
        x = (x ^ (x >>> 15)) * H2;
        return x ^ (x >>> 14);
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * MIX1;
        z = (z ^ (z >>> 27)) * MIX2;
        return z ^ (z >>> 31);
    }

    /**
     * The Box–Muller inputs of element i's pair: u1 ∈ (0, 1], x ∈ (−½, ½) (θ = x·π/2), the sign of
     * the cosine (±1) and whether sine and cosine swap (1) or not (0).
     */
    static float[] uniforms(long seed, int stream, long i) {
        long first = i - i % 16 + i % 8;
        int a = word(seed, stream, first), b = word(seed, stream, first + 8);
        float u1 = ((a >>> 8) + 1) * 0x1p-24f;
        float x = Float.intBitsToFloat(0x3F800001 | (b & 0x007FFFFF)) - 1.5f;
        return new float[] {u1, x, b < 0 ? -1 : 1, (b & 0x40000000) != 0 ? 1 : 0};
    }

    static float z(long seed, int stream, long i) {
        float[] u = uniforms(seed, stream, i);
        // −2 ln u1: u1 = 2^e·m with m ∈ [√½, √2)
        int e = Math.getExponent(u[0]);
        float m = u[0] / Math.scalb(1f, e);
        if (m >= (float) Math.sqrt(2)) { m *= 0.5f; e++; }
        float s = (m - 1f) / (m + 1f), s2 = s * s;
        float r = (float) Math.sqrt(fma(s * s2, fma(s2, Q2, Q1), fma(s, Q0, e * NEG2LN2)));
        float x = u[1], x2 = x * x;
        float sin = x * fma(fma(fma(x2, S3, S2), x2, S1), x2, S0);
        float cos = fma(fma(fma(x2, C3, C2), x2, C1), x2, 1f);
        if (u[2] < 0) cos = -cos;
        boolean swap = u[3] != 0, sinPart = i % 16 >= 8;
        return r * (sinPart != swap ? sin : cos);
    }
}
