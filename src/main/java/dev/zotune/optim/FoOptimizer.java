package dev.zotune.optim;

import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Parallel;
import dev.zotune.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A first-order optimizer: one GRADIENTS buffer per parameter, kept for the optimizer's life. A
 * step zeroes them, runs forward + backward, checks the loss and the global gradient norm
 * ‖g‖ = √(Σ g²) (double, summed per chunk then over chunks in order) finite, and hands the rule
 * g·c with c = min(1, clipNorm / (‖g‖ + 1e-6)) in fp32, as torch.nn.utils.clip_grad_norm_ does
 * (clipNorm ≤ 0: c = 1). Not replayable: the gradient is not a function of a seed.
 */
abstract class FoOptimizer implements Optimizer {
    private final String name;
    final OptimizerConfig config;
    final ChunkedUpdate update;
    private final List<float[]> grads = new ArrayList<>();

    FoOptimizer(String name, List<Param> params, OptimizerConfig config) {
        this.name = name;
        this.config = config;
        this.update = new ChunkedUpdate(name, params);
        for (Param p : params) grads.add(Memory.floats(Memory.Category.GRADIENTS, Math.toIntExact(p.tensor().numel())));
    }

    @Override
    public String name() { return name; }

    @Override
    public StepRecord step(Objective f, long step, long seed, double lr) {
        Finite.require(name, step, "learning rate " + lr, lr);
        for (float[] g : grads) Arrays.fill(g, 0f);
        double loss = f.lossAndGradient(grads);
        double norm = norm();
        Finite.require(name, step, "loss or gradient (L = " + loss + ", |g| = " + norm + ")", loss, norm);
        float c = config.clipNorm() > 0 ? (float) Math.min(1.0, config.clipNorm() / (norm + 1e-6)) : 1f;
        apply((p, from, dst, len) -> {
            float[] g = grads.get(p);
            for (int k = 0; k < len; k++) dst[k] = g[from + k] * c;
        }, lr);
        return new StepRecord(step, seed, lr, loss, new double[0], 1, -1);
    }

    /** The update at learning rate lr with the clipped gradient the source gives. */
    abstract void apply(ChunkedUpdate.Source gradient, double lr);

    private double norm() {
        double total = 0;
        for (float[] g : grads) {
            int chunks = (g.length + ChunkedUpdate.CHUNK - 1) / ChunkedUpdate.CHUNK;
            double[] partial = new double[chunks];
            Parallel.forRange(chunks, 1, (a, b) -> {
                for (int c = a; c < b; c++) {
                    double s = 0;
                    for (int k = c * ChunkedUpdate.CHUNK, end = Math.min(g.length, k + ChunkedUpdate.CHUNK); k < end; k++) s += (double) g[k] * g[k];
                    partial[c] = s;
                }
            });
            for (double s : partial) total += s;
        }
        return Math.sqrt(total);
    }

    @Override
    public boolean replayable() { return false; }

    @Override
    public void replay(StepRecord r) {
        throw new ZotuneException(name + ": a first-order step cannot be replayed from its record (no seed determines its gradient)");
    }

    @Override
    public Map<String, Tensor> state() { return Map.of(); }

    @Override
    public void close() {
        for (float[] g : grads) Memory.release(Memory.Category.GRADIENTS, g);
        grads.clear();
    }
}
