package dev.zotune.optim;

import dev.zotune.tensor.Tensor;

/**
 * A trainable tensor: fp32 and writable. Its index in the list of trainable parameters is its
 * z stream, so the list's order is part of a run's identity. {@code decay} is false for biases
 * and norm weights, which take no weight decay.
 */
public record Param(String name, Tensor tensor, boolean decay) {}
