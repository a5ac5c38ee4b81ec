package dev.zotune.model;

import dev.zotune.io.ZotuneException;
import dev.zotune.optim.Param;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The fine-tuning schemes of ZO-BENCH.md §4, identical under ZO and FO: which tensors are
 * trainable, and the adapters some schemes add to the model. Only the returned parameters are
 * perturbed and updated; a classification head, when the model has one, is always among them.
 * The list's order is the z stream of each parameter, so it is fixed: checkpoint order, then adapters.
 */
public enum Scheme {
    /** Every checkpoint tensor the forward reads (embeddings, positions, norms included); they must be fp32 and writable. */
    FT,
    /** LoRA, r 8, α 16 by default, on q_proj and v_proj (BERT: query, value); A kaiming-uniform, B zero. */
    LORA,
    /** 5 trainable key and value vectors per attention layer, initialised from the real keys/values of 5 random tokens. */
    PREFIX,
    /** 10 trainable input embeddings prepended to every sequence, initialised from 10 random tokens' embeddings, fp32. */
    PROMPT,
    /** Only the output head: the classifier, else an untied lm_head, else the MLM head (the tied decoder excluded), else the tied embedding. */
    HEAD;

    /** Options of the adapter schemes. */
    public record Options(int loraRank, float loraAlpha, Set<String> loraTargets, int prefixTokens, int promptTokens) {
        public static Options defaults() { return new Options(8, 16, Set.of(), 5, 10); }
    }

    public static Scheme of(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ZotuneException("unknown scheme '" + name + "' (ft, lora, prefix, prompt, head)");
        }
    }

    /** Adds this scheme's adapters to {@code m} (seeded) and returns the trainable parameters. */
    public List<Param> apply(TransformerModel m, Options o, long seed) {
        List<Param> params = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(seed);
        switch (this) {
            case FT -> {   // what the forward reads: not a pooler, an NSP head or an lm_head tied away
                Set<String> read = m.reads().tensors();
                for (String n : m.checkpoint().names()) if (read.contains(n)) params.add(param(n, m.tensor(n)));
            }
            case LORA -> addLora(m, o, rng, params);
            case PREFIX -> addPrefix(m, o.prefixTokens(), rng, params);
            case PROMPT -> {
                String table = m.embeddingTable();
                Tensor emb = m.tensor(table);
                int d = (int) emb.dim(1), P = o.promptTokens();
                float[] prompt = Memory.floats(Memory.Category.TRAINABLE, P * d);
                for (int i = 0; i < P; i++) emb.readFloats((long) rng.nextInt((int) emb.dim(0)) * d, prompt, i * d, d);
                m.addAdapter(TransformerModel.PROMPT, Tensor.of(prompt, P, d));
                params.add(param(TransformerModel.PROMPT, m.tensor(TransformerModel.PROMPT)));
            }
            case HEAD -> {
                if (!m.hasClassifier())
                    for (String n : m.headWeights()) params.add(param(n, m.trainable(n)));
            }
        }
        if (m.hasClassifier())
            for (String n : List.of(TransformerModel.CLASSIFIER + ".weight", TransformerModel.CLASSIFIER + ".bias"))
                params.add(param(n, m.tensor(n)));
        return params;
    }

    private static void addLora(TransformerModel m, Options o, SplittableRandom rng, List<Param> params) {
        Set<String> targets = o.loraTargets().isEmpty()
                ? (m.config().isDecoder() ? Set.of("q_proj", "v_proj") : Set.of("query", "value")) : o.loraTargets();
        int r = o.loraRank();
        for (String module : m.reads().linears()) {   // the layers that take a LoRA update: not heads, not embeddings
            if (!targets.contains(module.substring(module.lastIndexOf('.') + 1))) continue;
            String n = module + ".weight";
            var w = m.checkpoint().matrix(n);
            // kaiming_uniform_(a = √5), PyTorch's nn.Linear default: U(−1/√in, 1/√in)
            float[] a = Memory.floats(Memory.Category.TRAINABLE, r * w.in());
            double bound = 1 / Math.sqrt(w.in());
            for (int i = 0; i < a.length; i++) a[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
            float[] b = Memory.floats(Memory.Category.TRAINABLE, w.out() * r);
            m.addAdapter(module + ".lora_A", Tensor.of(a, r, w.in()));
            m.addAdapter(module + ".lora_B", Tensor.of(b, w.out(), r));
            params.add(param(module + ".lora_A", m.tensor(module + ".lora_A")));
            params.add(param(module + ".lora_B", m.tensor(module + ".lora_B")));
        }
        if (params.isEmpty()) throw new ZotuneException("lora: no linear layer of the model (heads and embeddings excluded) is named " + targets);
        m.setLoraScale(o.loraAlpha() / r);
    }

    private static void addPrefix(TransformerModel m, int P, SplittableRandom rng, List<Param> params) {
        int[] ids = new int[P];
        for (int i = 0; i < P; i++) ids[i] = rng.nextInt(m.config().vocabSize());
        List<float[][]> kv = m.keysAndValues(ids);
        for (int l = 0; l < kv.size(); l++) {
            int width = kv.get(l)[0].length / P;
            String[] names = {TransformerModel.prefixKeys(l), TransformerModel.prefixValues(l)};
            for (int j = 0; j < 2; j++) {
                float[] init = Memory.floats(Memory.Category.TRAINABLE, P * width);
                System.arraycopy(kv.get(l)[j], 0, init, 0, init.length);
                m.addAdapter(names[j], Tensor.of(init, P, width));
                params.add(param(names[j], m.tensor(names[j])));
            }
        }
    }

    private static Param param(String name, Tensor t) {
        if (t.dtype() != DType.F32 || t.segment().isReadOnly())
            throw new ZotuneException(name + ": trainable tensors must be fp32 and writable (load the model for training)");
        return new Param(name, t, !name.endsWith(".bias") && !ParameterLayout.isNormWeight(name));
    }
}
