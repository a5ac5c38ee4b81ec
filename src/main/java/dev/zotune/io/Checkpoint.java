package dev.zotune.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.tensor.Tensor;
import dev.zotune.tensor.WeightMatrix;

import java.util.Set;

/**
 * A model's weights under Hugging Face parameter names, with its HF config. Implementations map
 * their files (safetensors, an ONNX file, a TensorFlow tensor bundle) without copying weights
 * where the format allows.
 */
public interface Checkpoint extends AutoCloseable {
    /** The HF config.json of the model. */
    JsonNode config();

    /** Every tensor name present. */
    Set<String> names();

    /** The tensor stored under an HF name, or null when absent (e.g. a tied weight). */
    Tensor tensor(String name);

    /** True where a 2-D weight is stored [in, out] (TF, ONNX exports) instead of HF's [out, in]. */
    default boolean storedInOut(String name) { return false; }

    /** A linear layer's weight, in whichever layout it is stored; null when absent. */
    default WeightMatrix matrix(String name) {
        Tensor t = tensor(name);
        return t == null ? null : new WeightMatrix(t, storedInOut(name));
    }

    /** Where the weights come from, for messages. */
    String source();

    @Override
    void close();
}
