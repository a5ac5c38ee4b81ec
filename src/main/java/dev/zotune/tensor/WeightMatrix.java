package dev.zotune.tensor;

/**
 * The weight of a linear layer y = x·Wᵀ + b. Hugging Face stores W as [out, in]; TensorFlow
 * and ONNX exports store the transpose, [in, out]. Kernels read either layout in place, so
 * neither is ever copied to the other.
 */
public record WeightMatrix(Tensor tensor, boolean inOut) {
    public WeightMatrix {
        if (tensor.rank() != 2) throw new IllegalArgumentException("a weight matrix must be 2-D, got " + tensor);
    }

    public static WeightMatrix outIn(Tensor t) { return new WeightMatrix(t, false); }
    public static WeightMatrix inOut(Tensor t) { return new WeightMatrix(t, true); }

    public int in() { return Math.toIntExact(tensor.dim(inOut ? 0 : 1)); }
    public int out() { return Math.toIntExact(tensor.dim(inOut ? 1 : 0)); }
}
