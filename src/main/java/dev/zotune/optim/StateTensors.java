package dev.zotune.optim;

import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One optimizer-state buffer per parameter: fp32, zero at start, shaped like the parameter,
 * counted under OPTIMIZER_STATE and named "prefix.parameter name".
 */
final class StateTensors {
    private final float[][] buffers;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    StateTensors(String prefix, List<Param> params) {
        buffers = new float[params.size()][];
        for (int p = 0; p < params.size(); p++) {
            Tensor t = params.get(p).tensor();
            buffers[p] = Memory.floats(Memory.Category.OPTIMIZER_STATE, Math.toIntExact(t.numel()));
            tensors.put(prefix + "." + params.get(p).name(), Tensor.of(buffers[p], t.shape()));
        }
    }

    float[] of(int p) { return buffers[p]; }

    Map<String, Tensor> tensors() { return tensors; }

    void release() {
        for (float[] b : buffers) Memory.release(Memory.Category.OPTIMIZER_STATE, b);
    }
}
