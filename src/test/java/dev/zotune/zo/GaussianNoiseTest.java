package dev.zotune.zo;

import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.Parallel;
import dev.zotune.tensor.Vectors;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GaussianNoiseTest {
    private static final int N = 10_000_000;
    private final int defaultThreads = Parallel.threads();

    @TempDir Path tmp;

    @AfterEach
    void restoreThreads() { Parallel.setThreads(defaultThreads); }

    @Property(tries = 300)
    void vectorMatchesScalarBitForBit(@ForAll long seed, @ForAll int stream, @ForAll @LongRange(min = 0, max = 1L << 40) long from,
                                      @ForAll @IntRange(min = 0, max = 3000) int len, @ForAll @IntRange(min = 0, max = 40) int off,
                                      @ForAll boolean nearBlockEdge) {
        // half the tries straddle a 2³²-element key block boundary
        long at = nearBlockEdge ? (from >>> 32 << 32) + (1L << 32) - len / 2 : from;
        float scale = (float) Math.scalb(1.0 + (seed & 0xFF) / 256.0, -(int) (seed >>> 60));
        float[] base = new float[off + len], dst = new float[off + len], z = new float[off + len];
        for (int k = 0; k < base.length; k++) base[k] = dst[k] = (float) Math.sin(k + seed);
        GaussianNoise.addScaled(seed, stream, at, scale, dst, off, len);
        GaussianNoise.fill(seed, stream, at, z, off, len);
        for (int k = 0; k < len; k++) {
            float want = ScalarNoise.z(seed, stream, at + k);
            assertEquals(Float.floatToRawIntBits(Math.fma(scale, want, base[off + k])), Float.floatToRawIntBits(dst[off + k]), "element " + (at + k));
            assertEquals(Float.floatToRawIntBits(want + 0f), Float.floatToRawIntBits(z[off + k]), "fill, element " + (at + k));
        }
        for (int k = 0; k < off; k++) assertEquals(base[k], dst[k], "before the range");
    }

    @Test
    void chunkingAndThreadCountDoNotChangeABit() {
        long seed = 0x1234_5678_9ABCL;
        int n = 300_007;
        long from = (1L << 32) - 100_003;
        float[] base = new float[n];
        for (int i = 0; i < n; i++) base[i] = (float) Math.sin(i);
        float[] pieces = base.clone();
        for (int at = 0; at < n; ) {
            int len = Math.min(n - at, 1 + (int) ((long) at * 7919 % 1500));
            GaussianNoise.addScaled(seed, 5, from + at, 1e-3f, pieces, at, len);
            at += len;
        }
        for (int t = 1; t <= 3; t++) {
            Parallel.setThreads(t);
            float[] whole = base.clone();
            GaussianNoise.addScaled(seed, 5, from, 1e-3f, whole, 0, n);
            assertArrayEquals(pieces, whole, t + " threads");
        }
        for (int i = 0; i < n; i += 997)
            assertEquals(Math.fma(1e-3f, ScalarNoise.z(seed, 5, from + i), base[i]), pieces[i], "element " + i);
    }

    /** Run in a child JVM at another vector width: writes the values {@link #vectorWidthDoesNotChangeABit} compares. */
    public static void main(String[] args) throws IOException {
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[0])))) {
            for (float v : widthSample()) out.writeFloat(v);
        }
    }

    private static float[] widthSample() {
        float[] z = new float[200_003];
        GaussianNoise.fill(99, 7, (1L << 32) - 77_777, z, 0, 123_456);
        GaussianNoise.addScaled(-5, 1 << 30, 12_345, 0.5f, z, 100_000, 100_003);
        return z;
    }

    @Test
    void vectorWidthDoesNotChangeABit() throws Exception {
        int other = Vectors.F.vectorBitSize() > 128 ? 128 : 256;
        Path file = tmp.resolve("z.bin");
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Dzotune.vector.bits=" + other,
                "-cp", System.getProperty("java.class.path"), GaussianNoiseTest.class.getName(), file.toString()))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("log.txt").toFile()).start();
        assertEquals(0, p.waitFor(), () -> tmp.resolve("log.txt").toString());
        float[] here = widthSample(), there = new float[here.length];
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            for (int i = 0; i < there.length; i++) there[i] = in.readFloat();
        }
        assertArrayEquals(here, there, Vectors.F.vectorBitSize() + " vs " + other + " bits");
    }

    @Test
    void rejectsNegativeIndices() {
        assertThrows(ZotuneException.class, () -> GaussianNoise.addScaled(1, 0, -1, 1f, new float[4], 0, 4));
        assertThrows(ZotuneException.class, () -> GaussianNoise.addScaled(1, 0, Long.MAX_VALUE - 2, 1f, new float[4], 0, 4));
    }

    @Test
    void valuesAreAccurateBoxMuller() {
        for (long i = 0; i < 500_000; i++) {
            float[] u = ScalarNoise.uniforms(42, 1, i);
            double r = Math.sqrt(-2 * Math.log(u[0])), theta = u[1] * Math.PI / 2;
            double cos = u[2] * Math.cos(theta), sin = Math.sin(theta);
            double want = r * ((i % 16 >= 8) != (u[3] != 0) ? sin : cos);
            double got = ScalarNoise.z(42, 1, i);
            assertTrue(Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want)), "element " + i + ": " + got + " vs " + want);
        }
    }

    private static float[] sample(long seed, int stream, long from) {
        float[] z = new float[N];
        GaussianNoise.fill(seed, stream, from, z, 0, N);
        return z;
    }

    /** Mean, variance, skewness and excess kurtosis of 10⁷ values, each within 5 standard errors. */
    @Test
    void momentsAreThoseOfAStandardNormal() {
        for (float[] z : List.of(sample(0, 0, 0), sample(7, 3, (1L << 32) - N / 2))) {
            double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
            for (float v : z) {
                double x = v, x2 = x * x;
                s1 += x;
                s2 += x2;
                s3 += x2 * x;
                s4 += x2 * x2;
            }
            double mean = s1 / N, var = s2 / N - mean * mean;
            assertEquals(0, mean, 5 * Math.sqrt(1.0 / N), "mean");
            assertEquals(1, var, 5 * Math.sqrt(2.0 / N), "variance");
            assertEquals(0, s3 / N, 5 * Math.sqrt(15.0 / N), "third moment");
            assertEquals(3, s4 / N, 5 * Math.sqrt(96.0 / N), "fourth moment");
        }
    }

    /** Kolmogorov–Smirnov against N(0, 1): √n·D below 1.95 (p = 0.001). */
    @Test
    void distributionPassesKolmogorovSmirnov() {
        float[] z = sample(123, 9, 1L << 36);
        Arrays.sort(z);
        double d = 0;
        for (int k = 0; k < N; k++) {
            double f = phi(z[k]);
            d = Math.max(d, Math.max(f - (double) k / N, (k + 1.0) / N - f));
        }
        assertTrue(d * Math.sqrt(N) < 1.95, "√n·D = " + d * Math.sqrt(N));
    }

    /** Φ(x) by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
    private static double phi(double x) {
        double y = Math.abs(x) / Math.sqrt(2), t = 1 / (1 + 0.3275911 * y);
        double erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-y * y);
        return x >= 0 ? 1 - erfc / 2 : erfc / 2;
    }

    @Test
    void tailsHaveNormalMass() {
        float[] z = sample(31337, 0, 0);
        int beyond3 = 0, beyond4 = 0;
        float max = 0;
        for (float v : z) {
            float a = Math.abs(v);
            if (a > 3) beyond3++;
            if (a > 4) beyond4++;
            max = Math.max(max, a);
        }
        double p3 = 2.699796e-3, p4 = 6.334248e-5;
        assertEquals(p3 * N, beyond3, 5 * Math.sqrt(p3 * N), "beyond 3σ");
        assertEquals(p4 * N, beyond4, 5 * Math.sqrt(p4 * N), "beyond 4σ");
        assertTrue(max > 4.5 && max <= 5.77f, "largest |z| " + max);
    }

    /** Correlations of z and of z² between neighbours (lags 1..32), streams and seeds: within 5/√n of 0. */
    @Test
    void neighboursStreamsAndSeedsAreUncorrelated() {
        float[] z = sample(2024, 1, 0);
        double bound = 5 / Math.sqrt(N);
        for (int lag = 1; lag <= 32; lag++) {
            double[] c = correlations(z, lag, z, 0, N - lag);
            assertEquals(0, c[0], bound, "lag " + lag);
            assertEquals(0, c[1], bound * 1.5, "lag " + lag + ", squares");
        }
        record Pair(String name, float[] other) {}
        for (Pair p : List.of(new Pair("next stream", sample(2024, 2, 0)), new Pair("next seed", sample(2025, 1, 0)),
                new Pair("stream 2³¹", sample(2024, 1 + (1 << 31), 0)), new Pair("next key block", sample(2024, 1, 1L << 32)))) {
            double[] c = correlations(z, 0, p.other, 0, N);
            assertEquals(0, c[0], bound, p.name);
            assertEquals(0, c[1], bound * 1.5, p.name + ", squares");
        }
    }

    /** {corr(x[i + xAt], y[i + yAt]), corr(x², y²)} over i &lt; n. */
    private static double[] correlations(float[] x, int xAt, float[] y, int yAt, int n) {
        double sx = 0, sy = 0, sxy = 0, sxx = 0, syy = 0, qx = 0, qy = 0, qxy = 0, qxx = 0, qyy = 0;
        for (int i = 0; i < n; i++) {
            double a = x[i + xAt], b = y[i + yAt], a2 = a * a, b2 = b * b;
            sx += a; sy += b; sxy += a * b; sxx += a2; syy += b2;
            qx += a2; qy += b2; qxy += a2 * b2; qxx += a2 * a2; qyy += b2 * b2;
        }
        return new double[] {pearson(sx, sy, sxy, sxx, syy, n), pearson(qx, qy, qxy, qxx, qyy, n)};
    }

    private static double pearson(double sx, double sy, double sxy, double sxx, double syy, int n) {
        double cov = sxy / n - sx / n * (sy / n);
        return cov / Math.sqrt((sxx / n - sx / n * (sx / n)) * (syy / n - sy / n * (sy / n)));
    }

    /** The words behind z: consecutive counters, lag 1, through a 16×16 chi-square of their top nibbles. */
    @Test
    void consecutiveWordsFillTheUnitSquare() {
        int n = 4_000_000;
        long[] cells = new long[256];
        int prev = ScalarNoise.word(5, 5, 0);
        for (long i = 1; i <= n; i++) {
            int w = ScalarNoise.word(5, 5, i);
            cells[(prev >>> 28) << 4 | w >>> 28]++;
            prev = w;
        }
        double chi2 = 0, expect = n / 256.0;
        for (long c : cells) chi2 += (c - expect) * (c - expect) / expect;
        // 255 degrees of freedom: p = 0.001 at 330
        assertTrue(chi2 < 330, "chi² = " + chi2);
    }
}
