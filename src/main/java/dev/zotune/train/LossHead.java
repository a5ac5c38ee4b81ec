package dev.zotune.train;

/**
 * A task's loss over a model's output rows [rows, width] (logits, or class scores): the value,
 * and its gradient with respect to the rows, from which backward starts. Forward-mode needs no
 * more: the directional derivative is ⟨dL/dout, tangent of out⟩.
 */
public interface LossHead {
    /** The loss; when {@code dOut} is not null, dL/d(out) is written into it (same length as out). */
    double loss(float[] out, float[] dOut);
}
