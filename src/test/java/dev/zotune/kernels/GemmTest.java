package dev.zotune.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zotune.tensor.DType;
import dev.zotune.tensor.Parallel;
import dev.zotune.tensor.Tensor;
import dev.zotune.tensor.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Gemm#linear} must equal {@link ScalarGemm} bit for bit, whatever the sizes, layout, dtype and threads. */
class GemmTest {
    private static final int[] SIZES = {1, 7, 37, 100, 257};
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static Stream<Arguments> weightKinds() {
        return Stream.of(DType.F32, DType.BF16, DType.F16)
                .flatMap(d -> Stream.of(Arguments.of(d, false), Arguments.of(d, true)));
    }

    @ParameterizedTest(name = "{0}, inOut={1}")
    @MethodSource("weightKinds")
    void matchesScalarOnOddSizes(DType dtype, boolean inOut) {
        for (int m : SIZES)
            for (int k : SIZES)
                for (int n : SIZES) {
                    check(m, k, n, dtype, inOut, false, 31L * m + 7L * k + n);
                    check(m, k, n, dtype, inOut, true, 31L * m + 7L * k + n);
                }
    }

    @Test
    void shapesCrossingEveryBlockBoundary() {
        // Several K slices, row blocks and column blocks, with ragged edges in each.
        int k = 2000;
        check(Gemm.MC + 3, k, 2 * Gemm.colBlock(k) + 21, DType.F32, false, true, 1);
        check(Gemm.MC + 1, k, Gemm.colBlock(k) + 5, DType.BF16, true, true, 2);
        check(2 * Gemm.MC + 7, 700, 70, DType.F16, false, false, 3);
        check(9, Gemm.KC, 37, DType.F32, true, false, 4);
        // K so large that a weight block holds few columns.
        check(5, 7000, Gemm.colBlock(7000) + 12, DType.F32, false, true, 5);
    }

    @Test
    void decodingRowCounts() {
        for (int m = 1; m <= 16; m++) {
            check(m, 768, 200, DType.F32, false, true, m);
            check(m, 300, 131, DType.BF16, true, false, m);
        }
    }

    @Test
    void threadCountDoesNotChangeBits() {
        int before = Parallel.threads();
        try {
            // Row blocks handed out (one and two column blocks, one panel); column chunks handed out (few rows).
            for (int[] s : new int[][] {{257, 300, 100}, {260, 40, 600}, {300, 37, 7}, {3, 100, 257}}) {
                Parallel.setThreads(1);
                int[] one = bits(check(s[0], s[1], s[2], DType.F32, false, true, 5));
                for (int t : new int[] {2, 3}) {
                    Parallel.setThreads(t);
                    assertArrayEquals(one, bits(check(s[0], s[1], s[2], DType.F32, false, true, 5)), t + " threads");
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void emptyInnerDimensionGivesBias() {
        float[] bias = {1.5f, -0f, 2f};
        float[] y = new float[6];
        Gemm.linear(new float[0], 2, WeightMatrix.outIn(Tensor.of(new float[0], 3, 0)), bias, y);
        assertArrayEquals(new float[] {1.5f, 0f, 2f, 1.5f, 0f, 2f}, y);
    }

    @Property(tries = 60)
    void matchesScalarOnRandomShapes(@ForAll @IntRange(min = 1, max = 40) int m,
                                     @ForAll @IntRange(min = 1, max = 600) int k,
                                     @ForAll @IntRange(min = 1, max = 90) int n,
                                     @ForAll boolean inOut, @ForAll boolean biased, @ForAll long seed) {
        check(m, k, n, DType.F32, inOut, biased, seed);
    }

    /** Runs both kernels on random data, asserts equal bits and untouched y past m·n; returns Gemm's y. */
    private static float[] check(int m, int k, int n, DType dtype, boolean inOut, boolean biased, long seed) {
        Random rnd = new Random(seed);
        float[] x = gaussian(rnd, m * k);
        x[0] = -0f; // signed zeros must survive too
        Tensor t = tensor(dtype, gaussian(rnd, k * n), inOut ? new long[] {k, n} : new long[] {n, k});
        WeightMatrix w = new WeightMatrix(t, inOut);
        float[] bias = biased ? gaussian(rnd, n) : null;
        float[] expected = new float[m * n], actual = new float[m * n + 3];
        actual[m * n] = actual[m * n + 1] = actual[m * n + 2] = 42f;
        ScalarGemm.linear(x, m, w, bias, expected);
        Gemm.linear(x, m, w, bias, actual);
        String what = m + "×" + k + "×" + n + " " + dtype + (inOut ? " [in,out]" : " [out,in]") + (biased ? " +bias" : "");
        float[] y = Arrays.copyOf(actual, m * n);
        assertArrayEquals(bits(expected), bits(y), what);
        assertEquals(42f, actual[m * n], what + ": wrote past m·n");
        return y;
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    private static Tensor tensor(DType dtype, float[] v, long[] shape) {
        if (dtype == DType.F32) return Tensor.of(v, shape);
        MemorySegment seg = MemorySegment.ofArray(new short[v.length]);
        for (int i = 0; i < v.length; i++)
            seg.setAtIndex(I16, i, dtype == DType.BF16
                    ? (short) (Float.floatToRawIntBits(v[i]) >>> 16)
                    : Float.floatToFloat16(v[i]));
        return new Tensor(dtype, shape, seg);
    }

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
        return b;
    }
}
