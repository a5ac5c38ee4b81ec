package dev.zotune.zo;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GaussianNoiseTest {
    @Property(tries = 200)
    void vectorMatchesScalarBitForBit(@ForAll long seed, @ForAll @IntRange(min = 0, max = 1 << 20) int stream,
                                      @ForAll @LongRange(min = 0, max = 1L << 40) long from, @ForAll @IntRange(min = 0, max = 3000) int len) {
        float[] dst = new float[len + 3];
        GaussianNoise.fill(seed, stream, from, dst, 3, len);
        for (int k = 0; k < len; k++)
            assertEquals(Float.floatToRawIntBits(ScalarNoise.z(seed, stream, from + k)), Float.floatToRawIntBits(dst[3 + k]),
                    "element " + (from + k));
    }

    @Test
    void addScaledIsOneFmaPerElementAndChunkingDoesNotMatter() {
        long seed = 0x1234_5678_9ABCL;
        int n = 10_007;
        float[] base = new float[n], whole = new float[n], pieces = new float[n];
        for (int i = 0; i < n; i++) base[i] = whole[i] = pieces[i] = (float) Math.sin(i);
        GaussianNoise.addScaled(seed, 5, 100, 1e-3f, whole, 0, n);
        for (int at = 0; at < n; ) {
            int len = Math.min(n - at, 1 + (at * 7919) % 1500);
            GaussianNoise.addScaled(seed, 5, 100 + at, 1e-3f, pieces, at, len);
            at += len;
        }
        for (int i = 0; i < n; i++) {
            assertEquals(Math.fma(1e-3f, ScalarNoise.z(seed, 5, 100 + i), base[i]), whole[i]);
            assertEquals(whole[i], pieces[i]);
        }
    }

    @Test
    void valuesAreAccurateBoxMuller() {
        for (long i = 0; i < 200_000; i++) {
            float[] u = ScalarNoise.uniforms(42, 1, i);
            double r = Math.sqrt(-2 * Math.log(u[0])), a = 2 * Math.PI * u[1];
            double want = r * (i % 16 >= 8 ? Math.sin(a) : Math.cos(a));
            double got = ScalarNoise.z(42, 1, i);
            assertTrue(Math.abs(got - want) <= 2e-6 * Math.max(1, Math.abs(want)), "element " + i + ": " + got + " vs " + want);
        }
    }

    @Test
    void momentsAreThoseOfAStandardNormal() {
        int n = 4_000_000;
        float[] z = new float[n];
        GaussianNoise.fill(7, 3, 0, z, 0, n);
        double sum = 0, sq = 0, quad = 0;
        int beyond2 = 0;
        for (float v : z) {
            sum += v;
            sq += v * v;
            quad += (double) v * v * v * v;
            if (Math.abs(v) > 2) beyond2++;
        }
        double mean = sum / n, var = sq / n - mean * mean;
        assertEquals(0, mean, 0.003);
        assertEquals(1, var, 0.003);
        assertEquals(3, quad / n, 0.02);
        assertEquals(0.0455, (double) beyond2 / n, 0.0005);
        float[] other = new float[1000];
        GaussianNoise.fill(7, 4, 0, other, 0, 1000);
        double dot = 0;
        for (int i = 0; i < 1000; i++) dot += z[i] * other[i];
        assertTrue(Math.abs(dot / 1000) < 0.15, "streams are independent");
    }
}
