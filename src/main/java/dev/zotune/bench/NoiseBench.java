package dev.zotune.bench;

import dev.zotune.tensor.Parallel;
import dev.zotune.zo.GaussianNoise;

/**
 * Rate of the fused perturbation pass θ += ε·z(seed, stream, i) over a buffer, z regenerated in
 * registers (no z buffer), threads splitting the index range.
 */
public final class NoiseBench {
    public record Result(int threads, long elements, double seconds, double gigaPerSecond) {}

    private NoiseBench() {}

    public static Result run(int elements, int passes) {
        float[] theta = new float[elements];
        int chunk = 1 << 16;
        double best = Double.MAX_VALUE;
        for (int p = 0; p < passes + 1; p++) {
            long seed = p;
            long t0 = System.nanoTime();
            Parallel.forRange(elements, chunk, (from, to) -> GaussianNoise.addScaled(seed, 0, from, 1e-3f, theta, from, to - from));
            double s = (System.nanoTime() - t0) / 1e9;
            if (p > 0) best = Math.min(best, s);
        }
        return new Result(Parallel.threads(), elements, best, elements / best / 1e9);
    }
}
