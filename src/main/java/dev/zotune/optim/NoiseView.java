package dev.zotune.optim;

import dev.zotune.tensor.DType;
import dev.zotune.tensor.Tensor;
import dev.zotune.zo.GaussianNoise;

/**
 * A tensor that reads as z(seed, stream, ·) and stores nothing: Forward-Grad's tangent v. It views
 * the parameter's own bytes (a Tensor needs some) and its read hook overwrites every value read,
 * so it must be read through {@link Tensor#readFloats} only, never through its segment.
 */
final class NoiseView {
    private NoiseView() {}

    /** A tensor shaped like {@code param} whose element k reads as z(seed, stream, k). */
    static Tensor of(Tensor param, long seed, int stream) {
        Tensor t = new Tensor(DType.F32, param.shape(), param.segment());
        t.setReadHook((from, dst, off, len) -> GaussianNoise.fill(seed, stream, from, dst, off, len));
        return t;
    }
}
