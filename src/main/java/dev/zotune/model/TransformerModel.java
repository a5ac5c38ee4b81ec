package dev.zotune.model;

import dev.zotune.autodiff.Graph;
import dev.zotune.autodiff.Graph.Node;
import dev.zotune.autodiff.WeightSource;
import dev.zotune.io.Checkpoint;
import dev.zotune.io.ZotuneException;
import dev.zotune.optim.Param;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;
import dev.zotune.tensor.WeightMatrix;
import dev.zotune.train.LossHead;
import dev.zotune.zo.GaussianNoise;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * A transformer over a checkpoint's weights and any adapters beside them. Subclasses write their
 * forward pass once, top to bottom, against a {@link Graph}, reading weights by HF name; the graph
 * runs it for inference, for gradients (reverse mode) or for a JVP (forward mode).
 */
public abstract class TransformerModel implements WeightSource, AutoCloseable {
    public enum Head { CAUSAL_LM, MASKED_LM, ENCODER, CLASSIFIER }

    /** Names of the classification head a bare encoder gets (as HF's *ForSequenceClassification names it). */
    public static final String CLASSIFIER = "classifier";
    /** The virtual token embeddings of prompt tuning [P, embedding width]. */
    public static final String PROMPT = "prompt.embeddings";

    /** The prefix keys (prefix tuning) of layer l [P, kv width]. */
    public static String prefixKeys(int layer) { return "prefix." + layer + ".keys"; }
    public static String prefixValues(int layer) { return "prefix." + layer + ".values"; }

    protected final ModelConfig cfg;
    protected final Checkpoint ck;
    private final Map<String, Tensor> adapters = new LinkedHashMap<>();
    private float loraScale;
    private List<float[][]> kvCapture;
    private Reads reads;

    protected TransformerModel(ModelConfig cfg, Checkpoint ck) {
        this.cfg = cfg;
        this.ck = ck;
    }

    public ModelConfig config() { return cfg; }
    public Checkpoint checkpoint() { return ck; }
    public abstract Head head();

    /** Width of the output rows: the vocabulary for LM heads, the hidden size for a bare encoder, the classes of a classifier. */
    public int outputDim() {
        return switch (head()) {
            case ENCODER -> cfg.hidden();
            case CLASSIFIER -> (int) adapters.get(CLASSIFIER + ".weight").dim(0);
            default -> cfg.vocabSize();
        };
    }

    /**
     * Gives a bare encoder a classification head on its sentence embedding (mean pooling over real
     * tokens, then L2 normalisation, as sentence-transformers computes it) with {@code numClasses}
     * outputs; forward then returns one row per sequence. Weights normal(0, 0.02) from
     * {@code seed} (HF's initializer_range), bias zero.
     */
    public void addClassifier(int numClasses, long seed) {
        float[] w = new float[numClasses * cfg.hidden()];
        GaussianNoise.fill(seed, 0, 0, w, 0, w.length);
        for (int i = 0; i < w.length; i++) w[i] *= 0.02f;
        addClassifier(w, numClasses);
    }

    /**
     * The same head initialised from class prototypes: row c = {@link #PROTOTYPE_SCALE}·ê_c for
     * unit sentence embeddings ê_c (e.g. of the label words), so before any training the scores
     * are scaled cosine similarities to the prototypes: a zero-shot classifier.
     */
    public void addClassifier(float[][] prototypes) {
        int H = cfg.hidden();
        float[] w = new float[prototypes.length * H];
        for (int c = 0; c < prototypes.length; c++)
            for (int i = 0; i < H; i++) w[c * H + i] = PROTOTYPE_SCALE * prototypes[c][i];
        addClassifier(w, prototypes.length);
    }

    /** The similarity scale sentence-transformers' contrastive losses use: cosines times 20 as logits. */
    public static final float PROTOTYPE_SCALE = 20f;

    private void addClassifier(float[] init, int numClasses) {
        if (head() != Head.ENCODER) throw new ZotuneException(cfg.modelType() + ": only a bare encoder takes a classification head");
        float[] w = Memory.floats(Memory.Category.TRAINABLE, init.length);
        System.arraycopy(init, 0, w, 0, init.length);
        addAdapter(CLASSIFIER + ".weight", Tensor.of(w, numClasses, cfg.hidden()));
        addAdapter(CLASSIFIER + ".bias", Tensor.of(Memory.floats(Memory.Category.TRAINABLE, numClasses), numClasses));
    }

    protected boolean hasClassifier() { return adapters.containsKey(CLASSIFIER + ".weight"); }

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

    /**
     * The checkpoint tensor {@code name} as a trainable fp32 tensor: the tensor itself when it is
     * already writable fp32, else a copy (TRAINABLE) that the forward reads in its place, so a
     * scheme that trains a few checkpoint tensors copies only those.
     */
    public Tensor trainable(String name) {
        Tensor t = tensor(name);
        if (t == null) throw new ZotuneException(ck.source() + ": no tensor " + name);
        if (t.dtype() == DType.F32 && !t.segment().isReadOnly()) return t;
        float[] copy = Memory.floats(Memory.Category.TRAINABLE, Math.toIntExact(t.numel()));
        t.readFloats(0, copy, 0, copy.length);
        Tensor own = Tensor.of(copy, t.shape());
        adapters.put(name, own);
        return own;
    }

    /** The scale α/r of LoRA updates. */
    public void setLoraScale(float s) { loraScale = s; }

    /** What one forward pass reads: every tensor by name, and the linear layers that go through {@link #linear}. */
    public record Reads(Set<String> tensors, Set<String> linears) {}

    /** The tensors and linear layers a forward pass of this model reads (one probe forward of one token). */
    public Reads reads() {
        reads = new Reads(new LinkedHashSet<>(), new LinkedHashSet<>());
        try {
            Memory.release(Memory.Category.ACTIVATIONS, forward(Batch.of(cfg.padTokenId() == 0 ? 1 : 0)));
            return reads;
        } finally {
            reads = null;
        }
    }

    @Override
    public Tensor tensor(String name) {
        if (reads != null) reads.tensors().add(name);
        Tensor t = adapters.get(name);
        return t != null ? t : ck.tensor(name);
    }

    @Override
    public WeightMatrix matrix(String name) {
        if (reads != null) reads.tensors().add(name);
        Tensor t = adapters.get(name);
        return t == null ? ck.matrix(name) : new WeightMatrix(t, ck.tensor(name) != null && ck.storedInOut(name));
    }

    /**
     * The linear layer {@code name} (its weight, and its bias when it has one), plus the LoRA
     * update s·(x·Aᵀ)·Bᵀ when adapters name.lora_A and name.lora_B exist.
     */
    protected Node linear(Graph g, Node x, String name) {
        if (reads != null) reads.linears().add(name);
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

    /** The token embedding table's name (prompt tuning reads random rows of it). */
    public abstract String embeddingTable();

    /** The output head's own weights (head tuning), without a decoder tied to the token embeddings unless it is all there is. */
    public abstract List<String> headWeights();

    /** {@link #build}, with prompt tuning's virtual tokens prepended (and their output rows dropped). */
    private Node run(Graph g, Batch b, KvCache cache) {
        if (!prompting(cache)) return build(g, b, cache);
        int P = virtualTokens(), B = b.batch(), T = b.seqLen() + P;
        int filler = cfg.padTokenId() == 0 ? 1 : 0;   // any real id: its embedding is replaced
        int[] ids = new int[B * T], mask = new int[B * T], types = b.tokenTypeIds() == null ? null : new int[B * T];
        for (int r = 0; r < B; r++) {
            Arrays.fill(ids, r * T, r * T + P, filler);
            Arrays.fill(mask, r * T, r * T + P, 1);
            System.arraycopy(b.inputIds(), r * b.seqLen(), ids, r * T + P, b.seqLen());
            System.arraycopy(b.attentionMask(), r * b.seqLen(), mask, r * T + P, b.seqLen());
            if (types != null) System.arraycopy(b.tokenTypeIds(), r * b.seqLen(), types, r * T + P, b.seqLen());
        }
        Node out = build(g, new Batch(B, T, ids, mask, types), cache);
        return head() == Head.CLASSIFIER ? out : replace(g, out, g.dropRows(out, B, T, P));
    }

    /** Prompt tuning's virtual tokens, which every sequence gets before its own (0 without prompt tuning). */
    public int virtualTokens() {
        Tensor t = adapters.get(PROMPT);
        return t == null ? 0 : (int) t.dim(0);
    }

    /** False for a prefix-tuned model: a KV cache does not hold its prefix, so it decodes without one. */
    public boolean decodesWithCache() { return !adapters.containsKey(prefixKeys(0)); }

    /** Whether this call prepends virtual tokens: prompt tuning, and not a continuation of a cache. */
    private boolean prompting(KvCache cache) { return virtualTokens() > 0 && (cache == null || cache.length == 0); }

    /** The token embeddings of a batch, with prompt tuning's virtual tokens spliced in. */
    protected Node embedTokens(Graph g, Batch b, KvCache cache, int dim) {
        Node x = g.embedding(embeddingTable(), b.inputIds(), dim, cfg.padTokenId());
        return prompting(cache) ? g.spliceRows(x, PROMPT, b.batch(), b.seqLen()) : x;
    }

    /** Attention of layer l, over prefix tuning's keys and values when the model has them. */
    protected Node attend(Graph g, int l, Node q, Node k, Node v, Graph.AttentionShape s, KvCache cache, int past) {
        if (kvCapture != null) kvCapture.add(new float[][] {k.value.clone(), v.value.clone()});
        if (!adapters.containsKey(prefixKeys(l)))
            return g.attention(q, k, v, s, Decoding.store(cache, l, k.value, v.value, s.batch(), s.seqLen(), k.cols), past,
                    cache == null ? s.seqLen() : cache.capacity);
        if (cache != null) throw new ZotuneException("prefix tuning: a KV cache does not hold the prefix; decode without one");
        return g.prefixAttention(q, k, v, s, prefixKeys(l), prefixValues(l));
    }

    /** Every layer's keys and values [T, kv width] of one unpadded sequence (prefix tuning's initialisation). */
    List<float[][]> keysAndValues(int[] ids) {
        kvCapture = new ArrayList<>();
        try {
            Memory.release(Memory.Category.ACTIVATIONS, forward(Batch.of(ids)));
            return kvCapture;
        } finally {
            kvCapture = null;
        }
    }

    /**
     * Output rows [batch·seqLen, outputDim]: logits, or last hidden states for a bare encoder.
     * The caller owns the returned buffer (tracked as ACTIVATIONS; give it back with
     * {@code Memory.release}). Decoders continue from {@code cache} when it is given.
     */
    public float[] forward(Batch batch, KvCache cache) {
        try (Graph g = Graph.infer(this)) {
            return g.output(run(g, batch, cache));
        }
    }

    public float[] forward(Batch batch) { return forward(batch, null); }

    /** L = head(forward(batch)), with dL/dθ_i added into {@code grads.get(i)} for each trainable parameter i. */
    public double lossAndGradient(Batch batch, LossHead head, List<Param> params, List<float[]> grads) {
        Map<String, float[]> byName = new HashMap<>();
        for (int i = 0; i < params.size(); i++) byName.put(params.get(i).name(), grads.get(i));
        try (Graph g = Graph.grad(this, byName)) {
            return differentiate(g, batch, head, (out, dOut) -> g.backward(out, dOut))[0];
        }
    }

    /** {L, ⟨∇L, t⟩}: the loss and its derivative along tangents t_i of the trainable parameters, by forward mode. */
    public double[] lossAndJvp(Batch batch, LossHead head, List<Param> params, List<Tensor> tangents) {
        Map<String, Tensor> byName = new HashMap<>();
        for (int i = 0; i < params.size(); i++) byName.put(params.get(i).name(), tangents.get(i));
        try (Graph g = Graph.jvp(this, byName)) {
            return differentiate(g, batch, head, (out, dOut) -> {});
        }
    }

    /** Runs the forward on {@code g}, the loss head with dL/d(out), then {@code then}: {L, ⟨dL/d(out), tangent of out⟩}. */
    private double[] differentiate(Graph g, Batch batch, LossHead head, BiConsumer<Node, float[]> then) {
        Node out = run(g, batch, null);
        float[] dOut = Memory.floats(Memory.Category.ACTIVATIONS, out.size());
        try {
            double loss = head.loss(out.value, dOut);
            then.accept(out, dOut);
            return new double[] {loss, Graph.dot(dOut, out)};
        } finally {
            Memory.release(Memory.Category.ACTIVATIONS, dOut);
        }
    }

    /** Releases the adapters' TRAINABLE bytes (every adapter is counted there by whoever made it) and the checkpoint. */
    @Override
    public void close() {
        for (Tensor t : adapters.values()) Memory.add(Memory.Category.TRAINABLE, -t.byteSize());
        adapters.clear();
        ck.close();
    }
}
