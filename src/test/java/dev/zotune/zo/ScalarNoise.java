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

    /** The Box–Muller inputs of element i's pair: u1 ∈ (0, 1] and the angle φ = q·π/2 + θ as {q, θ}. */
    static float[] uniforms(long seed, int stream, long i) {
        long first = i - i % 16 + i % 8;
        int a = word(seed, stream, first), b = word(seed, stream, first + 8);
        float u1 = ((a >>> 8) + 1) * 0x1p-24f;
        float theta = (2 * ((b >>> 8) & 0x3FFFFF) + 1 - (1 << 22)) * ANGLE_STEP;
        return new float[] {u1, b >>> 30, theta};
    }

    static float z(long seed, int stream, long i) {
        float[] u = uniforms(seed, stream, i);
        // −2 ln u1: u1 = 2^e·m with m ∈ [√½, √2)
        int e = Math.getExponent(u[0]);
        float m = u[0] / Math.scalb(1f, e);
        if (m >= (float) Math.sqrt(2)) { m *= 0.5f; e++; }
        float s = (m - 1f) / (m + 1f), s2 = s * s;
        float poly = fma(fma(fma(s2, P3, P2), s2, P1), s2, P0);
        float r = (float) Math.sqrt(fma((float) e, NEG2LN2, s * poly));
        float th = u[2], t2 = th * th;
        float sin = fma(th * t2, fma(fma(t2, S0, S1), t2, S2), th);
        float cos = fma(t2 * t2, fma(fma(t2, C0, C1), t2, C2), fma(t2, -0.5f, 1f));
        int q = (int) u[1];
        float c = (q & 1) == 0 ? cos : sin, sn = (q & 1) == 0 ? sin : cos;
        boolean sinPart = i % 16 >= 8;
        boolean negative = sinPart ? q >= 2 : q == 1 || q == 2;
        float z = r * (sinPart ? sn : c);
        return negative ? -z : z;
    }
}
