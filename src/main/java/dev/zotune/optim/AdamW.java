package dev.zotune.optim;

import dev.zotune.tensor.DType;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW as torch.optim.AdamW (the HF Trainer's default) computes it, fed with a gradient g per
 * element, in fp32: t ← t + 1; m ← fma(β₁, m, (1−β₁)·g); v ← fma(β₂, v, (1−β₂)·g²);
 * θ ← fma(−lr·wd, θ, θ) (decoupled decay, decay parameters only, before the step);
 * θ ← fma(−lr/(1−β₁ᵗ), m / (√v / √(1−β₂ᵗ) + eps), θ), the scalars rounded to fp32 once.
 * State: "m.<param>", "v.<param>" and the update count "step" (int64, one element).
 */
final class AdamW {
    private final List<Param> params;
    private final OptimizerConfig c;
    private final StateTensors m, v;
    private final long[] t = new long[1];
    private final Map<String, Tensor> state = new LinkedHashMap<>();

    AdamW(List<Param> params, OptimizerConfig c) {
        this.params = params;
        this.c = c;
        m = new StateTensors("m", params);
        v = new StateTensors("v", params);
        Memory.add(Memory.Category.OPTIMIZER_STATE, Long.BYTES);
        state.putAll(m.tensors());
        state.putAll(v.tensors());
        state.put("step", new Tensor(DType.I64, new long[] {1}, MemorySegment.ofArray(t)));
    }

    /** One AdamW update at learning rate lr with the gradient the source gives. */
    void update(ChunkedUpdate update, ChunkedUpdate.Source gradient, double lr) {
        long step = ++t[0];
        float b1 = (float) c.beta1(), b2 = (float) c.beta2(), c1 = (float) (1 - c.beta1()), c2 = (float) (1 - c.beta2());
        float lrwd = (float) (lr * c.weightDecay()), eps = (float) c.adamEps();
        float stepSize = (float) (lr / (1 - Math.pow(c.beta1(), step)));
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(c.beta2(), step));
        update.run(gradient, (p, from, theta, g, len) -> {
            float[] mp = m.of(p), vp = v.of(p);
            boolean decay = params.get(p).decay() && lrwd > 0;
            for (int k = 0; k < len; k++) {
                int i = from + k;
                mp[i] = Math.fma(b1, mp[i], c1 * g[k]);
                vp[i] = Math.fma(b2, vp[i], c2 * (g[k] * g[k]));
                float th = decay ? Math.fma(-lrwd, theta[k], theta[k]) : theta[k];
                theta[k] = Math.fma(-stepSize, mp[i] / ((float) Math.sqrt(vp[i]) / bc2Sqrt + eps), th);
            }
        });
    }

    Map<String, Tensor> state() { return state; }

    void release() {
        m.release();
        v.release();
        Memory.add(Memory.Category.OPTIMIZER_STATE, -Long.BYTES);
    }
}
