package dev.zotune.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zotune.kernels.Gemm;
import dev.zotune.tensor.Parallel;
import dev.zotune.tensor.Tensor;
import dev.zotune.tensor.Vectors;
import dev.zotune.tensor.WeightMatrix;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernel benchmark: this machine's fp32 FMA peak as the Vector API reaches it, and {@link Gemm} throughput
 * against it for transformer-sized shapes (fp32 weights in HF [out, in] layout, with bias).
 * After warm-up, the peak is the best of {@link #RUNS} timed runs before and as many after the GEMMs
 * (an upper bound: noise only lowers it); a GEMM figure is the median of {@link #RUNS} runs, its best
 * shown beside it.
 */
public final class KernelBench {
    /** M×K×N: a 768-wide projection, the MLP up- and down-projections, over 2048 tokens. */
    private static final int[][] SHAPES = {{2048, 768, 768}, {2048, 768, 3072}, {2048, 3072, 768}};
    private static final int RUNS = 7;
    /** Warm-up lasts at least this long, so C2 has compiled the kernel and its callers. */
    private static final long WARMUP_NANOS = 1_000_000_000L;
    private static final VectorSpecies<Float> F = Vectors.F;
    /** Independent chains per thread: more than FMA latency × FMA pipes, fewer than the 16 AVX2 registers. */
    private static final int CHAINS = 12;
    private static final int CHAIN_STEPS = 1 << 18;

    public record Peak(int threads, double gflops) {}
    /** millis and gflops: the median run; percentOfPeak: of the peak at the same thread count. */
    public record GemmFigure(int m, int k, int n, int threads, double millis, double gflops, double bestGflops,
                             double percentOfPeak) {}
    public record Report(String javaVersion, int cores, int vectorBits, List<Peak> fmaPeak, List<GemmFigure> gemm) {}

    private static volatile float sink;

    private KernelBench() {}

    public static void main(String[] args) throws IOException {
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        run(System.out, Path.of(args.length > 0 ? args[0] : "kernel-bench.json"), threads);
    }

    /** Measures, prints a table to {@code out}, writes the figures as JSON to {@code jsonOut} (unless null). */
    public static Report run(PrintStream out, Path jsonOut, int threadsAll) throws IOException {
        int before = Parallel.threads();
        int[] threadCounts = threadsAll > 1 ? new int[] {1, threadsAll} : new int[] {1};
        double[] peak = new double[threadCounts.length];
        List<double[]> times = new ArrayList<>();
        try {
            // The peak is measured before and after the GEMMs: a core taken away for a moment only lowers it.
            measurePeaks(threadCounts, peak);
            for (int[] s : SHAPES)
                for (int t : threadCounts) {
                    Parallel.setThreads(t);
                    times.add(gemmMillis(s[0], s[1], s[2]));
                }
            measurePeaks(threadCounts, peak);
        } finally {
            Parallel.setThreads(before);
        }
        List<Peak> peaks = new ArrayList<>();
        for (int i = 0; i < threadCounts.length; i++) peaks.add(new Peak(threadCounts[i], peak[i]));
        List<GemmFigure> figures = new ArrayList<>();
        for (int f = 0; f < times.size(); f++) {
            int[] s = SHAPES[f / threadCounts.length];
            int i = f % threadCounts.length;
            double[] ms = times.get(f);
            double flop = 2.0 * s[0] * s[1] * s[2], median = median(ms), gflops = flop / median / 1e6;
            figures.add(new GemmFigure(s[0], s[1], s[2], threadCounts[i], median, gflops,
                    flop / Arrays.stream(ms).min().orElseThrow() / 1e6, 100 * gflops / peak[i]));
        }
        Report report = new Report(System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                F.vectorBitSize(), peaks, figures);
        print(out, report);
        if (jsonOut != null) new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(jsonOut.toFile(), report);
        return report;
    }

    private static void print(PrintStream out, Report r) {
        out.printf("fp32 FMA peak (Vector API, %d-bit vectors, %d chains per thread, best of 2×%d runs):%n",
                r.vectorBits(), CHAINS, RUNS);
        for (Peak p : r.fmaPeak()) out.printf("  %2d thread(s) %8.1f GFLOP/s%n", p.threads(), p.gflops());
        out.println("GEMM y = x·Wᵀ + b, fp32 W [out,in], M×K×N:");
        out.printf("  %-16s %7s %9s %9s %8s %9s%n", "shape", "threads", "ms", "GFLOP/s", "% peak", "best");
        for (GemmFigure g : r.gemm())
            out.printf("  %-16s %7d %9.2f %9.1f %7.1f%% %9.1f%n", g.m() + "×" + g.k() + "×" + g.n(), g.threads(),
                    g.millis(), g.gflops(), g.percentOfPeak(), g.bestGflops());
        out.printf("  (ms, GFLOP/s, %% peak: median of %d runs; best: fastest run)%n", RUNS);
    }

    /** Raises peak[i] to the FMA peak now measured on threadCounts[i] threads. */
    private static void measurePeaks(int[] threadCounts, double[] peak) {
        for (int i = 0; i < threadCounts.length; i++) {
            Parallel.setThreads(threadCounts[i]);
            peak[i] = Math.max(peak[i], fmaPeak(threadCounts[i]));
        }
    }

    /** GFLOP/s of {@link #CHAINS} independent FMA chains per thread, on {@code threads} threads at once. */
    private static double fmaPeak(int threads) {
        int chunks = 40;
        Parallel.RangeBody body = (a, b) -> { for (int c = 0; c < chunks; c++) sink += fmaChains(CHAIN_STEPS); };
        for (long start = System.nanoTime(); System.nanoTime() - start < WARMUP_NANOS / 4; ) Parallel.forRange(threads, 1, body);
        double best = Double.MAX_VALUE;
        for (int r = 0; r < RUNS; r++) {
            long t0 = System.nanoTime();
            Parallel.forRange(threads, 1, body);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return 2.0 * F.length() * CHAINS * CHAIN_STEPS * chunks * threads / best / 1e9;
    }

    /**
     * c ← a·b + c on independent chains (the accumulator as addend, as in a GEMM, so each FMA updates its
     * register in place); a·b is small, so values stay normal. Flat so all chains stay in registers.
     */
    private static float fmaChains(int steps) {
        FloatVector a = FloatVector.broadcast(F, 1e-3f), b = FloatVector.broadcast(F, 1e-4f);
        FloatVector c0 = FloatVector.broadcast(F, 0f), c1 = FloatVector.broadcast(F, 1f), c2 = FloatVector.broadcast(F, 2f);
        FloatVector c3 = FloatVector.broadcast(F, 3f), c4 = FloatVector.broadcast(F, 4f), c5 = FloatVector.broadcast(F, 5f);
        FloatVector c6 = FloatVector.broadcast(F, 6f), c7 = FloatVector.broadcast(F, 7f), c8 = FloatVector.broadcast(F, 8f);
        FloatVector c9 = FloatVector.broadcast(F, 9f), c10 = FloatVector.broadcast(F, 10f), c11 = FloatVector.broadcast(F, 11f);
        for (int i = 0; i < steps; i++) {
            c0 = a.fma(b, c0); c1 = a.fma(b, c1); c2 = a.fma(b, c2); c3 = a.fma(b, c3);
            c4 = a.fma(b, c4); c5 = a.fma(b, c5); c6 = a.fma(b, c6); c7 = a.fma(b, c7);
            c8 = a.fma(b, c8); c9 = a.fma(b, c9); c10 = a.fma(b, c10); c11 = a.fma(b, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }

    /** Wall times in ms of {@link #RUNS} runs of {@link Gemm#linear} on random data, after warm-up. */
    private static double[] gemmMillis(int m, int k, int n) {
        Random rnd = new Random(m + 31L * k + 961L * n);
        float[] x = new float[m * k], w = new float[n * k], bias = new float[n], y = new float[m * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < n; i++) bias[i] = (float) rnd.nextGaussian();
        WeightMatrix wm = WeightMatrix.outIn(Tensor.of(w, n, k));
        long start = System.nanoTime();
        for (int r = 0; r < 3 || System.nanoTime() - start < WARMUP_NANOS; r++) Gemm.linear(x, m, wm, bias, y);
        double[] ms = new double[RUNS];
        for (int r = 0; r < RUNS; r++) {
            long t0 = System.nanoTime();
            Gemm.linear(x, m, wm, bias, y);
            ms[r] = (System.nanoTime() - t0) / 1e6;
        }
        return ms;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
