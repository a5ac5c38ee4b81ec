package dev.zotune.optim;

import dev.zotune.tensor.Tensor;

import java.util.Map;

/**
 * An optimizer over a fixed list of trainable parameters (given at construction). The
 * parameters are read through the objective and written only by the update. Closing it releases
 * its tracked buffers (state, gradients).
 */
public interface Optimizer extends AutoCloseable {
    String name();

    /** One step on {@code f} at learning rate {@code lr}; {@code seed} draws every random direction of the step. */
    StepRecord step(Objective f, long step, long seed, double lr);

    /** Whether {@link #replay} can rebuild the weights (and state) from step records alone: ZO and Forward-Grad. */
    boolean replayable();

    /** Re-applies a recorded step's update without any forward pass, bit-identical to the step's own update. */
    void replay(StepRecord r);

    /** The optimizer's state tensors by name (momentum, Adam moments), for checkpoints and resume. */
    Map<String, Tensor> state();

    /** Releases the optimizer's Memory-tracked buffers; the optimizer is unusable afterwards. */
    @Override
    default void close() {}
}
