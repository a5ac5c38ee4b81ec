package dev.zotune.autodiff;

import dev.zotune.tensor.Tensor;
import dev.zotune.tensor.WeightMatrix;

/** Where a graph reads weights by name: a checkpoint's tensors and any adapters beside them. */
public interface WeightSource {
    /** The tensor of that name, or null when there is none. */
    Tensor tensor(String name);

    /** A linear layer's weight matrix, in the layout it is stored in. */
    WeightMatrix matrix(String name);
}
