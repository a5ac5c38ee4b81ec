package dev.zotune.model;

import dev.zotune.io.Checkpoint;
import dev.zotune.io.ZotuneException;
import dev.zotune.kernels.Gemm;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;
import dev.zotune.tensor.WeightMatrix;

import java.util.ArrayList;
import java.util.List;

/**
 * A transformer over a checkpoint's weights. Subclasses write their forward pass top to bottom,
 * reading weights by HF name through the helpers here; every buffer they allocate is tracked as
 * ACTIVATIONS and released before the forward returns, except the output.
 */
public abstract class TransformerModel implements AutoCloseable {
    public enum Head { CAUSAL_LM, MASKED_LM, ENCODER }

    protected final ModelConfig cfg;
    protected final Checkpoint ck;
    private final List<float[]> live = new ArrayList<>();

    protected TransformerModel(ModelConfig cfg, Checkpoint ck) {
        this.cfg = cfg;
        this.ck = ck;
    }

    public ModelConfig config() { return cfg; }
    public Checkpoint checkpoint() { return ck; }
    public abstract Head head();

    /** Width of the output rows: the vocabulary for LM heads, the hidden size for a bare encoder. */
    public int outputDim() { return head() == Head.ENCODER ? cfg.hidden() : cfg.vocabSize(); }

    /**
     * Output rows [batch·seqLen, outputDim]: logits, or last hidden states for a bare encoder.
     * The caller owns the returned buffer (tracked as ACTIVATIONS; give it back with
     * {@code Memory.release}). Decoders continue from {@code cache} when it is given.
     */
    public abstract float[] forward(Batch batch, KvCache cache);

    public float[] forward(Batch batch) { return forward(batch, null); }

    /** A cache for incremental decoding of up to {@code capacity} positions (decoders only). */
    public KvCache newCache(int batch, int capacity) {
        throw new ZotuneException(cfg.modelType() + ": incremental decoding is for decoder models");
    }

    /** Total parameters stored in the checkpoint (tied copies counted once). */
    public long parameterCount() {
        long n = 0;
        for (String name : ck.names()) n += ck.tensor(name).numel();
        return n;
    }

    /** Fails with one line naming every tensor in {@code names} that the checkpoint lacks. */
    protected void requireTensors(List<String> names) {
        List<String> missing = names.stream().filter(n -> ck.tensor(n) == null).toList();
        if (!missing.isEmpty()) {
            String shown = String.join(", ", missing.subList(0, Math.min(8, missing.size())));
            throw new ZotuneException(ck.source() + ": missing " + missing.size() + " tensor(s): " + shown
                    + (missing.size() > 8 ? ", ..." : ""));
        }
    }

    protected void checkIds(Batch b) {
        for (int id : b.inputIds())
            if (id < 0 || id >= cfg.vocabSize())
                throw new ZotuneException("input_ids: token id " + id + " is outside the vocabulary [0, " + cfg.vocabSize() + ")");
    }

    protected Tensor tensor(String name) { return ck.tensor(name); }

    /** A small tensor (bias, norm weight) as fp32, or null when absent. */
    protected float[] vec(String name) {
        Tensor t = ck.tensor(name);
        return t == null ? null : t.toFloats();
    }

    /** A tracked activation buffer, released by {@link #releaseAll} at the end of the forward. */
    protected float[] buf(int n) {
        float[] a = Memory.floats(Memory.Category.ACTIVATIONS, n);
        live.add(a);
        return a;
    }

    protected void release(float[] a) {
        if (live.remove(a)) Memory.release(Memory.Category.ACTIVATIONS, a);
    }

    /** Releases every buffer from {@link #buf} except {@code keep}, which passes to the caller. */
    protected float[] releaseAllBut(float[] keep) {
        for (float[] a : live) if (a != keep) Memory.release(Memory.Category.ACTIVATIONS, a);
        live.clear();
        return keep;
    }

    /** y = x·Wᵀ + b for a linear layer {@code name}.weight / {@code name}.bias (bias optional). */
    protected float[] linear(float[] x, int rows, String name) {
        WeightMatrix w = ck.matrix(name + ".weight");
        float[] y = buf(rows * w.out());
        Gemm.linear(x, rows, w, vec(name + ".bias"), y);
        return y;
    }

    protected float[] linear(float[] x, int rows, WeightMatrix w, float[] bias) {
        float[] y = buf(rows * w.out());
        Gemm.linear(x, rows, w, bias, y);
        return y;
    }

    /** Rows of an embedding table gathered by id: out[r] = table[ids[r]]. */
    protected static void gather(Tensor table, int[] ids, float[] out, int dim) {
        for (int r = 0; r < ids.length; r++) table.readFloats((long) ids[r] * dim, out, r * dim, dim);
    }

    /** out[r] += table[ids[r]]. */
    protected static void gatherAdd(Tensor table, int[] ids, float[] out, int dim) {
        float[] row = new float[dim];
        for (int r = 0; r < ids.length; r++) {
            table.readFloats((long) ids[r] * dim, row, 0, dim);
            for (int i = 0; i < dim; i++) out[r * dim + i] += row[i];
        }
    }

    @Override
    public void close() { ck.close(); }
}
