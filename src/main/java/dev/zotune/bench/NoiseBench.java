package dev.zotune.bench;

import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Parallel;
import dev.zotune.zo.GaussianNoise;

import java.util.Arrays;

/**
 * Rate of the fused perturbation pass θ += ε·z(seed, stream, i) over a buffer, z regenerated in
 * registers (no z buffer), {@link GaussianNoise#addScaled} splitting the range over the threads.
 * After one warm-up pass, the figure is the median of the timed passes, the best beside it.
 */
public final class NoiseBench {
    /** seconds and gigaPerSecond: the median pass; bestGigaPerSecond: the fastest. */
    public record Result(int threads, long elements, double seconds, double gigaPerSecond, double bestGigaPerSecond) {}

    private NoiseBench() {}

    /** Usage: NoiseBench [elements] [passes] [threads...]; prints one line per thread count. */
    public static void main(String[] args) {
        int elements = args.length > 0 ? Integer.parseInt(args[0]) : 1 << 26;
        int passes = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        int[] threads = args.length > 2 ? Arrays.stream(args, 2, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, Runtime.getRuntime().availableProcessors()};
        for (int t : threads) {
            Parallel.setThreads(t);
            Result r = run(elements, passes);
            System.out.printf("fused θ += ε·z over %d floats, %d threads: median %.3f G/s (best %.3f) over %d passes%n",
                    r.elements(), r.threads(), r.gigaPerSecond(), r.bestGigaPerSecond(), passes);
        }
    }

    public static Result run(int elements, int passes) {
        float[] theta = Memory.floats(Memory.Category.SCRATCH, elements);
        try {
            double[] seconds = new double[passes];
            for (int p = -1; p < passes; p++) {
                long t0 = System.nanoTime();
                GaussianNoise.addScaled(p, 0, 0, 1e-3f, theta, 0, elements);
                if (p >= 0) seconds[p] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(seconds);
            double median = seconds[passes / 2];
            return new Result(Parallel.threads(), elements, median, elements / median / 1e9, elements / seconds[0] / 1e9);
        } finally {
            Memory.release(Memory.Category.SCRATCH, theta);
        }
    }
}
