package dev.zotune.zo;

import static dev.zotune.zo.GaussianNoise.*;
import static java.lang.Math.fma;

/** GaussianNoise's numeric contract as plain scalar code: the reference for the vector version. */
final class ScalarNoise {
    private ScalarNoise() {}

    /** The uniforms (u1, u2) of element i. */
    static float[] uniforms(long seed, int stream, long i) {
        long g = i / 16;
        int p = (int) (i % 16) % 8;
        long j = 4 * g + p % 4;
        int[] x = new int[4];
        Philox.block((int) j, (int) (j >>> 32), stream, 0, (int) seed, (int) (seed >>> 32), x);
        int a = p < 4 ? x[0] : x[2], b = p < 4 ? x[1] : x[3];
        return new float[] {((a >>> 8) + 1) * TWO_M24, (b >>> 8) * TWO_M24};
    }

    static float z(long seed, int stream, long i) {
        float[] u = uniforms(seed, stream, i);
        boolean sinPart = i % 16 >= 8;
        int bits = Float.floatToRawIntBits(u[0]);
        int e = (bits >>> 23) - 127;
        float m = Float.intBitsToFloat(bits & 0x007FFFFF | 0x3F800000);
        if (m > SQRT2) { m *= 0.5f; e++; }
        float s = (m - 1f) / (m + 1f), s2 = s * s;
        float poly = fma(fma(fma(fma(s2, L4, L3), s2, L2), s2, L1), s2, 1f);
        float ln = fma((float) e, LN2, (s + s) * poly);
        float r = (float) Math.sqrt(ln * -2f);
        float t = u[1] * 4f;
        int q = (int) t;
        float th = (t - (float) q - 0.5f) * HALF_PI, th2 = th * th;
        float sn = fma(th * th2, fma(fma(fma(th2, S4, S3), th2, S2), th2, S1), th);
        float cs = fma(th2, fma(fma(fma(fma(th2, C5, C4), th2, C3), th2, C2), th2, C1), 1f);
        float sa = (sn + cs) * INV_SQRT2, ca = (cs - sn) * INV_SQRT2;
        float sin = (q & 1) != 0 ? ca : sa, cos = (q & 1) != 0 ? -sa : ca;
        if ((q & 2) != 0) { sin = -sin; cos = -cos; }
        return r * (sinPart ? sin : cos);
    }
}
