package dev.zotune.zo;

import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * One ZO-SGD (MeZO) step with a two-sided estimate and q = 1 (ZO-BENCH.md §1):
 * L± = loss(θ ± ε·z(seed)), both read through {@link Perturbation} so θ is never moved;
 * g = (L₊ − L₋)/(2ε), the projected gradient; then θ ← fma(−lr·g, z, θ) in place, the only write.
 * Parameter i draws stream i of z, so the step is reproducible from (seed, g, lr) alone.
 */
public final class ZoSgd {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CHUNK = 1 << 14;

    /** What a step measured: the two losses and the projected gradient. */
    public record Step(double lossPlus, double lossMinus, double projectedGradient) {}

    private ZoSgd() {}

    public static Step step(DoubleSupplier loss, List<Tensor> params, long seed, float eps, float lr) {
        double plus, minus;
        try (Perturbation p = Perturbation.open(params, seed, eps)) { plus = loss.getAsDouble(); }
        try (Perturbation p = Perturbation.open(params, seed, -eps)) { minus = loss.getAsDouble(); }
        if (!Double.isFinite(plus) || !Double.isFinite(minus))
            throw new ZotuneException("zo-sgd: non-finite loss (L+ = " + plus + ", L- = " + minus + ") at seed " + seed);
        double g = (plus - minus) / (2.0 * eps);
        update(params, seed, (float) (-lr * g));
        return new Step(plus, minus, g);
    }

    /** θ_i ← fma(scale, z(seed, i, ·), θ_i) for every parameter i, in place (fp32 storage). */
    public static void update(List<Tensor> params, long seed, float scale) {
        float[] buf = new float[CHUNK];
        for (int i = 0; i < params.size(); i++) {
            Tensor t = params.get(i);
            if (t.dtype() != DType.F32)
                throw new ZotuneException("zo-sgd: parameter " + i + " is " + t.dtype() + "; in-place updates need fp32 storage");
            MemorySegment seg = t.segment();
            if (seg.isReadOnly())
                throw new ZotuneException("zo-sgd: parameter " + i + " is read-only; load the checkpoint writable");
            long n = t.numel();
            for (long from = 0; from < n; from += CHUNK) {
                int len = (int) Math.min(CHUNK, n - from);
                MemorySegment.copy(seg, F32, from * 4, buf, 0, len);
                GaussianNoise.addScaled(seed, i, from, scale, buf, 0, len);
                MemorySegment.copy(buf, 0, seg, F32, from * 4, len);
            }
        }
    }
}
