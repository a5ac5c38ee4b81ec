package dev.zotune.optim;

import dev.zotune.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Forward-Grad: for each query i, v_i = z(s_i) per element (never stored: the tangents are
 * {@link NoiseView}s), one forward-mode pass gives L(θ) and D_i = ⟨∇L, v_i⟩; then
 * θ ← θ − lr·((1/q)·Σ D_i·v_i + wd·θ), the ZO-SGD update with g_i = D_i. Records D_i as the
 * projected gradients and L of query 0 as the loss; q forwards. No state.
 */
final class ForwardGrad extends ZoSgd {
    ForwardGrad(List<Param> params, OptimizerConfig c) { super("forward-grad", params, c); }

    @Override
    StepRecord measure(Objective f, long step, long seed, double lr) {
        int q = config.q();
        List<Param> params = update.params();
        double[] jvp = new double[q];
        double loss = Double.NaN;
        for (int i = 0; i < q; i++) {
            long s = ZoDirection.querySeed(seed, i);
            List<Tensor> tangents = new ArrayList<>(params.size());
            for (int p = 0; p < params.size(); p++) tangents.add(NoiseView.of(params.get(p).tensor(), s, p));
            double[] ld = f.lossAndJvp(tangents);
            Finite.require(name(), step, "forward gradient (query " + i + ": L = " + ld[0] + ", D = " + ld[1] + ")", ld[0], ld[1]);
            jvp[i] = ld[1];
            if (i == 0) loss = ld[0];
        }
        return new StepRecord(step, seed, lr, loss, jvp, q, -1);
    }
}
