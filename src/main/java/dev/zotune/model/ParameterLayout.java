package dev.zotune.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The HF parameter names and shapes an architecture has, from its config alone (tied copies
 * absent, as checkpoints store them). Random initialisation and memory estimates build on it.
 */
public final class ParameterLayout {
    private ParameterLayout() {}

    public static Map<String, long[]> of(ModelConfig c) {
        Map<String, long[]> p = new LinkedHashMap<>();
        switch (c.modelType()) {
            case "opt" -> opt(c, p);
            case "llama", "mistral" -> llama(c, p);
            default -> bert(c, p);
        }
        return p;
    }

    private static void opt(ModelConfig c, Map<String, long[]> p) {
        long H = c.hidden(), E = c.wordEmbedProjDim(), F = c.intermediate();
        String d = "model.decoder.";
        p.put(d + "embed_tokens.weight", new long[] {c.vocabSize(), E});
        p.put(d + "embed_positions.weight", new long[] {c.maxPositions() + 2L, H});
        if (E != H) {
            p.put(d + "project_in.weight", new long[] {H, E});
            p.put(d + "project_out.weight", new long[] {E, H});
        }
        if (c.layerNormBefore()) norm(p, d + "final_layer_norm", H);
        for (int l = 0; l < c.layers(); l++) {
            String x = d + "layers." + l + ".";
            for (String s : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) linear(p, x + "self_attn." + s, H, H, c.enableBias());
            norm(p, x + "self_attn_layer_norm", H);
            linear(p, x + "fc1", F, H, c.enableBias());
            linear(p, x + "fc2", H, F, c.enableBias());
            norm(p, x + "final_layer_norm", H);
        }
    }

    private static void llama(ModelConfig c, Map<String, long[]> p) {
        long H = c.hidden(), I = c.intermediate(), q = (long) c.heads() * c.headDim(), kv = (long) c.kvHeads() * c.headDim();
        p.put("model.embed_tokens.weight", new long[] {c.vocabSize(), H});
        for (int l = 0; l < c.layers(); l++) {
            String x = "model.layers." + l + ".";
            p.put(x + "input_layernorm.weight", new long[] {H});
            linear(p, x + "self_attn.q_proj", q, H, c.enableBias());
            linear(p, x + "self_attn.k_proj", kv, H, c.enableBias());
            linear(p, x + "self_attn.v_proj", kv, H, c.enableBias());
            linear(p, x + "self_attn.o_proj", H, q, false);
            p.put(x + "post_attention_layernorm.weight", new long[] {H});
            linear(p, x + "mlp.gate_proj", I, H, false);
            linear(p, x + "mlp.up_proj", I, H, false);
            linear(p, x + "mlp.down_proj", H, I, false);
        }
        p.put("model.norm.weight", new long[] {H});
        if (!c.tieWordEmbeddings()) p.put("lm_head.weight", new long[] {c.vocabSize(), H});
    }

    private static void bert(ModelConfig c, Map<String, long[]> p) {
        long H = c.hidden(), I = c.intermediate();
        boolean roberta = c.modelType().equals("roberta");
        boolean mlm = c.architecture().endsWith("ForMaskedLM");
        String pre = mlm ? (roberta ? "roberta." : "bert.") : "";
        String e = pre + "embeddings.";
        p.put(e + "word_embeddings.weight", new long[] {c.vocabSize(), H});
        p.put(e + "position_embeddings.weight", new long[] {c.maxPositions(), H});
        p.put(e + "token_type_embeddings.weight", new long[] {c.typeVocabSize(), H});
        norm(p, e + "LayerNorm", H);
        for (int l = 0; l < c.layers(); l++) {
            String x = pre + "encoder.layer." + l + ".";
            for (String s : new String[] {"query", "key", "value"}) linear(p, x + "attention.self." + s, H, H, true);
            linear(p, x + "attention.output.dense", H, H, true);
            norm(p, x + "attention.output.LayerNorm", H);
            linear(p, x + "intermediate.dense", I, H, true);
            linear(p, x + "output.dense", H, I, true);
            norm(p, x + "output.LayerNorm", H);
        }
        if (!mlm) return;
        if (roberta) {
            linear(p, "lm_head.dense", H, H, true);
            norm(p, "lm_head.layer_norm", H);
            p.put("lm_head.bias", new long[] {c.vocabSize()});
        } else {
            linear(p, "cls.predictions.transform.dense", H, H, true);
            norm(p, "cls.predictions.transform.LayerNorm", H);
            p.put("cls.predictions.bias", new long[] {c.vocabSize()});
        }
    }

    private static void linear(Map<String, long[]> p, String name, long out, long in, boolean bias) {
        p.put(name + ".weight", new long[] {out, in});
        if (bias) p.put(name + ".bias", new long[] {out});
    }

    private static void norm(Map<String, long[]> p, String name, long dim) {
        p.put(name + ".weight", new long[] {dim});
        p.put(name + ".bias", new long[] {dim});
    }

    /** Is {@code name} a norm weight (initialised to one) rather than a matrix or bias? */
    static boolean isNormWeight(String name) {
        return name.endsWith("norm.weight") || name.endsWith("LayerNorm.weight") || name.endsWith("layer_norm.weight");
    }
}
