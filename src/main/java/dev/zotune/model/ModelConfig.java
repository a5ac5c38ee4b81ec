package dev.zotune.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.io.ZotuneException;

/**
 * The fields of an HF config.json that the engine uses, validated. One record for every
 * architecture; fields an architecture does not have keep neutral values.
 */
public record ModelConfig(
        String modelType,          // opt, llama, mistral, bert, roberta
        String architecture,       // e.g. OPTForCausalLM, BertForMaskedLM, BertModel
        int vocabSize,
        int hidden,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int intermediate,
        int maxPositions,
        float normEps,
        String activation,         // relu, gelu, gelu_new, gelu_pytorch_tanh, silu
        double ropeTheta,
        int slidingWindow,         // 0: none
        boolean tieWordEmbeddings,
        boolean layerNormBefore,   // OPT: pre-LN (125m) or post-LN (350m)
        int wordEmbedProjDim,      // OPT: embedding width, != hidden means project_in/out
        boolean enableBias,        // OPT
        int typeVocabSize,         // BERT/RoBERTa
        int padTokenId,
        int bosTokenId,
        int eosTokenId) {

    public boolean isDecoder() { return modelType.equals("opt") || modelType.equals("llama") || modelType.equals("mistral"); }

    /** Parses and validates; {@code source} names the file in every error. */
    public static ModelConfig from(JsonNode c, String source) {
        String type = c.path("model_type").asText("");
        if (type.isEmpty()) throw new ZotuneException(source + ": config has no model_type");
        Reader r = new Reader(c, source);
        String arch = c.path("architectures").path(0).asText("");
        return switch (type) {
            case "opt" -> {
                int hidden = r.positive("hidden_size");
                int heads = r.heads("num_attention_heads", hidden);
                yield new ModelConfig(type, arch.isEmpty() ? "OPTForCausalLM" : arch, r.positive("vocab_size"), hidden,
                        r.positive("num_hidden_layers"), heads, heads, hidden / heads, r.positive("ffn_dim"), r.positive("max_position_embeddings"),
                        1e-5f, r.activation("activation_function", "relu"), 0, 0, c.path("tie_word_embeddings").asBoolean(true),
                        c.path("do_layer_norm_before").asBoolean(true), r.positiveOr("word_embed_proj_dim", hidden),
                        c.path("enable_bias").asBoolean(true), 0, r.intOr("pad_token_id", 1), r.intOr("bos_token_id", 2), r.intOr("eos_token_id", 2));
            }
            case "llama", "mistral" -> {
                int hidden = r.positive("hidden_size");
                int heads = r.heads("num_attention_heads", hidden);
                int kv = r.positiveOr("num_key_value_heads", heads);
                if (heads % kv != 0)
                    throw new ZotuneException(source + ": num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kv);
                int headDim = r.positiveOr("head_dim", hidden / heads);
                if (headDim % 2 != 0) throw new ZotuneException(source + ": head_dim " + headDim + " must be even for RoPE");
                JsonNode scaling = c.path("rope_scaling");
                if (!scaling.isMissingNode() && !scaling.isNull())
                    throw new ZotuneException(source + ": rope_scaling " + scaling + " is not supported");
                int window = type.equals("mistral") && !c.path("sliding_window").isNull() ? r.intOr("sliding_window", 0) : 0;
                if (window < 0) throw new ZotuneException(source + ": sliding_window " + window + " is negative");
                yield new ModelConfig(type, arch.isEmpty() ? "LlamaForCausalLM" : arch, r.positive("vocab_size"), hidden,
                        r.positive("num_hidden_layers"), heads, kv, headDim, r.positive("intermediate_size"),
                        r.positiveOr("max_position_embeddings", 2048), r.eps("rms_norm_eps", 1e-6),
                        r.activation("hidden_act", "silu"), r.positiveDouble("rope_theta", 10000.0), window,
                        c.path("tie_word_embeddings").asBoolean(false), true, hidden, c.path("attention_bias").asBoolean(false),
                        0, r.intOr("pad_token_id", -1), r.intOr("bos_token_id", 1), r.intOr("eos_token_id", 2));
            }
            case "bert", "roberta" -> {
                int hidden = r.positive("hidden_size");
                int heads = r.heads("num_attention_heads", hidden);
                String pos = c.path("position_embedding_type").asText("absolute");
                if (!pos.equals("absolute")) throw new ZotuneException(source + ": position_embedding_type '" + pos + "' is not supported");
                yield new ModelConfig(type, arch.isEmpty() ? (type.equals("bert") ? "BertModel" : "RobertaModel") : arch,
                        r.positive("vocab_size"), hidden, r.positive("num_hidden_layers"), heads, heads, hidden / heads,
                        r.positive("intermediate_size"), r.positive("max_position_embeddings"), r.eps("layer_norm_eps", 1e-12),
                        r.activation("hidden_act", "gelu"), 0, 0, true, false, hidden, true, r.positiveOr("type_vocab_size", 2),
                        r.intOr("pad_token_id", type.equals("bert") ? 0 : 1), r.intOr("bos_token_id", -1), r.intOr("eos_token_id", -1));
            }
            default -> throw new ZotuneException(source + ": unknown model_type '" + type + "' (supported: opt, llama, mistral, bert, roberta)");
        };
    }

    /** Field access with range checks and messages naming the file and field. */
    private record Reader(JsonNode c, String source) {
        int positive(String f) {
            JsonNode v = c.get(f);
            if (v == null || v.isNull()) throw new ZotuneException(source + ": config field '" + f + "' is missing");
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() <= 0)
                throw new ZotuneException(source + ": config field '" + f + "' must be a positive integer, got " + v);
            return v.asInt();
        }

        int positiveOr(String f, int dflt) {
            JsonNode v = c.get(f);
            return v == null || v.isNull() ? dflt : positive(f);
        }

        int intOr(String f, int dflt) {
            JsonNode v = c.get(f);
            if (v == null || v.isNull()) return dflt;
            if (v.isArray()) v = v.path(0); // e.g. eos_token_id as a list
            if (!v.isIntegralNumber()) throw new ZotuneException(source + ": config field '" + f + "' must be an integer, got " + v);
            return v.asInt();
        }

        int heads(String f, int hidden) {
            int h = positive(f);
            if (hidden % h != 0) throw new ZotuneException(source + ": hidden_size " + hidden + " is not a multiple of " + f + " " + h);
            return h;
        }

        float eps(String f, double dflt) {
            double e = c.path(f).asDouble(dflt);
            if (!(e > 0 && e < 1)) throw new ZotuneException(source + ": config field '" + f + "' must be in (0, 1), got " + c.get(f));
            return (float) e;
        }

        double positiveDouble(String f, double dflt) {
            double v = c.path(f).asDouble(dflt);
            if (!(v > 0) || Double.isInfinite(v)) throw new ZotuneException(source + ": config field '" + f + "' must be positive, got " + c.get(f));
            return v;
        }

        String activation(String f, String dflt) {
            String a = c.path(f).asText(dflt);
            return switch (a) {
                case "relu", "gelu", "gelu_new", "gelu_pytorch_tanh", "silu" -> a;
                default -> throw new ZotuneException(source + ": config field '" + f + "' has unsupported activation '" + a + "'");
            };
        }
    }
}
