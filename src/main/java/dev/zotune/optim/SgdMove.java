package dev.zotune.optim;

import dev.zotune.tensor.Tensor;

import java.util.List;

/**
 * The move θ ← θ + t·(d + wd·θ) of ZO-SGD (t = −lr), ZO-SGD-Sign, Forward-Grad and both candidates
 * of ZO-SGD-Cons (t = ∓lr), with wd·θ only on decay parameters. Fused, per element, in fp32:
 * θ ← fma((float) (t·wd), θ, θ) (decay parameters, wd > 0), then for each query i in order
 * θ ← fma((float) (t·w_i), z(s_i), θ). For q = 1, wd = 0 this is MeZO's θ ← fma(−lr·g, z, θ).
 * The same arithmetic runs as a read hook (a forward at the moved point) and as the write, so the
 * point Cons evaluates is bit for bit the point it keeps.
 */
record SgdMove(ZoDirection d, double t, double weightDecay) {
    /** Writes the move into the parameters. */
    void write(ChunkedUpdate update) {
        List<Param> params = update.params();
        update.run(null, (p, from, theta, unused, len) -> onto(p, params.get(p).decay(), from, theta, 0, len));
    }

    /** A read hook that shows parameter p (stream p) as moved, without writing it. */
    Tensor.ReadHook hook(int p, boolean decay) {
        return (from, dst, off, len) -> onto(p, decay, from, dst, off, len);
    }

    private void onto(int p, boolean decay, long from, float[] theta, int off, int len) {
        if (decay && weightDecay > 0) {
            float c = (float) (t * weightDecay);
            for (int k = off; k < off + len; k++) theta[k] = Math.fma(c, theta[k], theta[k]);
        }
        d.addScaled(p, from, t, theta, off, len);
    }
}
