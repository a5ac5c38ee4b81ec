package dev.zotune.model;

import dev.zotune.tensor.Tensor;

import java.util.Map;

/** Builds model inputs from a fixture's tensors. */
final class Fixtures {
    private Fixtures() {}

    static Batch batch(Map<String, Tensor> t) {
        Tensor ids = t.get("input_ids");
        Tensor types = t.get("token_type_ids");
        return new Batch((int) ids.dim(0), (int) ids.dim(1), ids.toInts(),
                t.containsKey("attention_mask") ? t.get("attention_mask").toInts() : null,
                types == null ? null : types.toInts());
    }
}
