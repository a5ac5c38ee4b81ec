package dev.zotune.optim;

import dev.zotune.tensor.Tensor;

import java.util.List;

/**
 * The loss of one batch as a function of the trainable parameters, evaluated at the weights as
 * they are read now (so an open {@code Perturbation} applies). Parameter i is the i-th of the
 * list the optimizer was given.
 */
public interface Objective {
    /** L(θ): one forward pass. */
    double loss();

    /** L(θ), with dL/dθ_i added into {@code grads.get(i)} (fp32, numel of parameter i): forward + backward. */
    double lossAndGradient(List<float[]> grads);

    /**
     * L(θ) and the directional derivative Σ_i ⟨∇_i L, t_i⟩ along {@code tangents} (one tensor per
     * parameter, same shape): one forward-mode pass. Returns {loss, jvp}.
     */
    double[] lossAndJvp(List<Tensor> tangents);
}
