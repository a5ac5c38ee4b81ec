package dev.zotune.zo;

import dev.zotune.tensor.Tensor;

import java.util.List;

/**
 * θ + ε·z(seed) applied where weights are read, never written: while a perturbation is open,
 * every read of parameter i (its stream) returns fma(ε, z(seed, i, element), θ). Closing it
 * restores plain reads; the stored bits of θ never change, so no restore pass and no drift.
 */
public final class Perturbation implements AutoCloseable {
    private final List<Tensor> params;

    private Perturbation(List<Tensor> params) { this.params = params; }

    /** Opens θ + eps·z(seed) over {@code params}; parameter i draws stream i of z. */
    public static Perturbation open(List<Tensor> params, long seed, float eps) {
        for (int i = 0; i < params.size(); i++) {
            int stream = i;
            params.get(i).setReadHook((from, dst, off, len) -> GaussianNoise.addScaled(seed, stream, from, eps, dst, off, len));
        }
        return new Perturbation(params);
    }

    @Override
    public void close() {
        for (Tensor t : params) t.setReadHook(null);
    }
}
