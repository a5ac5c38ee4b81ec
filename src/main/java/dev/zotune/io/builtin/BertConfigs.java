package dev.zotune.io.builtin;

import dev.zotune.io.Checkpoint;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zotune.tensor.Tensor;
import dev.zotune.tensor.WeightMatrix;

import java.io.IOException;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** HF BertConfig JSON for built-in checkpoints that ship without a config.json, checked against their tensors. */
final class BertConfigs {
    private static final Pattern LAYER = Pattern.compile("encoder\\.layer\\.(\\d+)\\.");

    /** The sizes that shape a BERT model. */
    record Dims(int vocab, int hidden, int layers, int heads, int intermediate, int maxPositions, int typeVocab) {}

    private BertConfigs() {}

    /**
     * The sizes {@code c}'s tensors imply, with names under {@code prefix} ("" or "bert.").
     * The head count is not visible in the weights, so it is passed in.
     */
    static Dims dims(Checkpoint c, String prefix, int heads) throws IOException {
        Tensor words = need(c, prefix + "embeddings.word_embeddings.weight");
        TreeSet<Integer> layers = new TreeSet<>();
        for (String n : c.names()) {
            Matcher m = LAYER.matcher(n);
            if (n.startsWith(prefix) && m.region(prefix.length(), n.length()).lookingAt())
                layers.add(Integer.parseInt(m.group(1)));
        }
        // Sorted distinct non-negative numbers are 0..n-1 exactly when the largest is n-1.
        if (layers.isEmpty() || layers.last() != layers.size() - 1)
            throw new IOException(c.source() + ": encoder layers are not numbered 0..n-1: " + layers);
        String ffn = prefix + "encoder.layer.0.intermediate.dense.weight";
        int intermediate = new WeightMatrix(need(c, ffn), c.storedInOut(ffn)).out();
        return new Dims(
                (int) words.dim(0), (int) words.dim(1), layers.size(), heads, intermediate,
                (int) need(c, prefix + "embeddings.position_embeddings.weight").dim(0),
                (int) need(c, prefix + "embeddings.token_type_embeddings.weight").dim(0));
    }

    /** Fails unless the tensors imply exactly the expected sizes. */
    static void check(Checkpoint c, String prefix, Dims expected) throws IOException {
        Dims got = dims(c, prefix, expected.heads());
        if (!got.equals(expected)) throw new IOException(c.source() + ": tensors imply " + got + ", expected " + expected);
    }

    /** The config.json HF writes for a BERT model of these sizes (keys sorted, as HF writes them). */
    static ObjectNode config(String architecture, Dims d) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.putArray("architectures").add(architecture);
        o.put("attention_probs_dropout_prob", 0.1);
        o.put("hidden_act", "gelu");
        o.put("hidden_dropout_prob", 0.1);
        o.put("hidden_size", d.hidden());
        o.put("initializer_range", 0.02);
        o.put("intermediate_size", d.intermediate());
        o.put("layer_norm_eps", 1e-12);
        o.put("max_position_embeddings", d.maxPositions());
        o.put("model_type", "bert");
        o.put("num_attention_heads", d.heads());
        o.put("num_hidden_layers", d.layers());
        o.put("pad_token_id", 0);
        o.put("position_embedding_type", "absolute");
        o.put("type_vocab_size", d.typeVocab());
        o.put("use_cache", true);
        o.put("vocab_size", d.vocab());
        return o;
    }

    /** {@code o} with its keys in sorted order (JSON equality ignores order; this is for printing). */
    static ObjectNode sorted(ObjectNode o) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        o.properties().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> s.set(e.getKey(), e.getValue()));
        return s;
    }

    private static Tensor need(Checkpoint c, String name) throws IOException {
        Tensor t = c.tensor(name);
        if (t == null) throw new IOException(c.source() + ": missing tensor " + name);
        return t;
    }
}
