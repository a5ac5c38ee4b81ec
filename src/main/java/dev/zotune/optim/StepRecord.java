package dev.zotune.optim;

/**
 * What one step measured and what replaying it needs: the step's seed and learning rate, the
 * projected gradients (one per query; Forward-Grad: the directional derivative; FO: empty), the
 * loss at θ (NaN where the step never evaluated it), the forward passes it ran, and for ZO-SGD-Cons
 * which candidate it kept (−1 otherwise).
 */
public record StepRecord(long step, long seed, double lr, double loss, double[] projectedGradients, int forwards, int choice) {}
