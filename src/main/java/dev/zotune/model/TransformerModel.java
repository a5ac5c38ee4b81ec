package dev.zotune.model;

import dev.zotune.autodiff.Graph;
import dev.zotune.autodiff.Graph.Node;
import dev.zotune.autodiff.Weights;
import dev.zotune.io.Checkpoint;
import dev.zotune.io.ZotuneException;
import dev.zotune.optim.Param;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;
import dev.zotune.tensor.WeightMatrix;
import dev.zotune.train.LossHead;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A transformer over a checkpoint's weights and any adapters beside them. Subclasses write their
 * forward pass once, top to bottom, against a {@link Graph}, reading weights by HF name; the graph
 * runs it for inference, for gradients (reverse mode) or for a JVP (forward mode).
 */
public abstract class TransformerModel implements Weights, AutoCloseable {
    public enum Head { CAUSAL_LM, MASKED_LM, ENCODER }

    protected final ModelConfig cfg;
    protected final Checkpoint ck;
    private final Map<String, Tensor> adapters = new LinkedHashMap<>();
    private float loraScale;

    protected TransformerModel(ModelConfig cfg, Checkpoint ck) {
        this.cfg = cfg;
        this.ck = ck;
    }

    public ModelConfig config() { return cfg; }
    public Checkpoint checkpoint() { return ck; }
    public abstract Head head();

    /** Width of the output rows: the vocabulary for LM heads, the hidden size for a bare encoder. */
    public int outputDim() { return head() == Head.ENCODER ? cfg.hidden() : cfg.vocabSize(); }

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

    // ---- weights: the checkpoint's, and adapters beside them

    /** Adds a tensor the forward reads by name beside the checkpoint's (an adapter, a head); a matrix is stored [out, in]. */
    public void addAdapter(String name, Tensor t) {
        if (ck.tensor(name) != null || adapters.containsKey(name))
            throw new ZotuneException(ck.source() + ": adapter " + name + " already exists");
        adapters.put(name, t);
    }

    /** The adapters added so far, in the order they were added. */
    public Map<String, Tensor> adapters() { return Collections.unmodifiableMap(adapters); }

    /** The scale α/r of LoRA updates. */
    public void setLoraScale(float s) { loraScale = s; }

    @Override
    public Tensor tensor(String name) {
        Tensor t = adapters.get(name);
        return t != null ? t : ck.tensor(name);
    }

    @Override
    public WeightMatrix matrix(String name) {
        Tensor t = adapters.get(name);
        return t != null ? WeightMatrix.outIn(t) : ck.matrix(name);
    }

    /**
     * The linear layer {@code name} (its weight, and its bias when it has one), plus the LoRA
     * update s·(x·Aᵀ)·Bᵀ when adapters name.lora_A and name.lora_B exist.
     */
    protected Node linear(Graph g, Node x, String name) {
        Node y = g.linear(x, name + ".weight", name + ".bias");
        if (!adapters.containsKey(name + ".lora_A")) return y;
        Node a = g.linear(x, name + ".lora_A", null);
        Node d = g.scale(g.linear(a, name + ".lora_B", null), loraScale);
        g.free(a);
        return residual(g, y, d);
    }

    /** Frees {@code old} and returns {@code next}: the step from one value of a stream to the next. */
    protected static Node replace(Graph g, Node old, Node next) {
        g.free(old);
        return next;
    }

    /** x + delta, the residual add; delta is freed. */
    protected static Node residual(Graph g, Node x, Node delta) {
        Node y = g.add(x, delta);
        g.free(delta);
        return y;
    }

    // ---- the three ways to run the forward

    /** The forward pass, written once against a graph: returns the output rows. */
    protected abstract Node build(Graph g, Batch batch, KvCache cache);

    /**
     * Output rows [batch·seqLen, outputDim]: logits, or last hidden states for a bare encoder.
     * The caller owns the returned buffer (tracked as ACTIVATIONS; give it back with
     * {@code Memory.release}). Decoders continue from {@code cache} when it is given.
     */
    public float[] forward(Batch batch, KvCache cache) {
        try (Graph g = Graph.infer(this)) {
            return g.output(build(g, batch, cache));
        }
    }

    public float[] forward(Batch batch) { return forward(batch, null); }

    /** L = head(forward(batch)), with dL/dθ_i added into {@code grads.get(i)} for each trainable parameter i. */
    public double lossAndGradient(Batch batch, LossHead head, List<Param> params, List<float[]> grads) {
        Map<String, float[]> byName = new HashMap<>();
        for (int i = 0; i < params.size(); i++) byName.put(params.get(i).name(), grads.get(i));
        try (Graph g = Graph.grad(this, byName)) {
            Node out = build(g, batch, null);
            float[] dOut = Memory.floats(Memory.Category.ACTIVATIONS, out.size());
            try {
                double loss = head.loss(out.value, dOut);
                g.backward(out, dOut);
                return loss;
            } finally {
                Memory.release(Memory.Category.ACTIVATIONS, dOut);
            }
        }
    }

    /** {L, ⟨∇L, t⟩}: the loss and its derivative along tangents t_i of the trainable parameters, by forward mode. */
    public double[] lossAndJvp(Batch batch, LossHead head, List<Param> params, List<Tensor> tangents) {
        Map<String, Tensor> byName = new HashMap<>();
        for (int i = 0; i < params.size(); i++) byName.put(params.get(i).name(), tangents.get(i));
        try (Graph g = Graph.jvp(this, byName)) {
            Node out = build(g, batch, null);
            float[] dOut = Memory.floats(Memory.Category.ACTIVATIONS, out.size());
            try {
                double loss = head.loss(out.value, dOut);
                return new double[] {loss, Graph.dot(dOut, out)};
            } finally {
                Memory.release(Memory.Category.ACTIVATIONS, dOut);
            }
        }
    }

    @Override
    public void close() { ck.close(); }
}
