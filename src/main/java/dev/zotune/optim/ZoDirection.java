package dev.zotune.optim;

import dev.zotune.zo.GaussianNoise;

import java.util.Arrays;

/**
 * A ZO update direction d = Σ_i w_i·z(s_i), never stored: z(s_i) is regenerated from the query
 * seed s_i wherever a chunk of d is needed. Parameter p draws stream p of every z.
 *
 * <p>Query seeds: s_0 is the step seed itself (so q = 1 is exactly MeZO's z(s)); s_i for i ≥ 1 is
 * the i-th output of SplitMix64 seeded with s, i.e. mix64(s + i·0x9E3779B97F4A7C15) with
 * Stafford's variant 13 finalizer.
 */
record ZoDirection(long[] seeds, double[] weights) {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** The seed of query i of a step with seed s. */
    static long querySeed(long s, int i) {
        if (i == 0) return s;
        long x = s + i * GOLDEN;
        x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
        x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
        return x ^ (x >>> 31);
    }

    /** d = (1/q)·Σ_i g_i·z(s_i) for the q = g.length projected gradients g of a step with seed s. */
    static ZoDirection mean(long s, double[] g) {
        return new ZoDirection(seeds(s, g.length), Arrays.stream(g).map(x -> x / g.length).toArray());
    }

    /** d = (1/q)·Σ_i sign(g_i)·z(s_i) (ZO-SGD-Sign; sign(0) = 0). */
    static ZoDirection meanSign(long s, double[] g) {
        return new ZoDirection(seeds(s, g.length), Arrays.stream(g).map(x -> Math.signum(x) / g.length).toArray());
    }

    private static long[] seeds(long s, int q) {
        long[] out = new long[q];
        for (int i = 0; i < q; i++) out[i] = querySeed(s, i);
        return out;
    }

    /** dst[off + k] += scale·d[from + k] as q fused steps dst = fma((float) (scale·w_i), z(s_i), dst), in query order. */
    void addScaled(int stream, long from, double scale, float[] dst, int off, int len) {
        for (int i = 0; i < seeds.length; i++)
            GaussianNoise.addScaled(seeds[i], stream, from, (float) (scale * weights[i]), dst, off, len);
    }

    /** dst[0, len) = d[from, from + len): {@link #addScaled} with scale 1 onto zeros. */
    void fill(int stream, long from, float[] dst, int len) {
        Arrays.fill(dst, 0, len, 0f);
        addScaled(stream, from, 1.0, dst, 0, len);
    }
}
