package dev.zotune.model;

import dev.zotune.io.Checkpoint;
import dev.zotune.io.ZotuneException;
import dev.zotune.autodiff.Graph;
import dev.zotune.autodiff.Graph.Node;

import java.util.ArrayList;
import java.util.List;

/**
 * BERT and RoBERTa encoders (post-LN, bidirectional attention with a padding mask), bare or with
 * their masked-LM head. BERT positions count from 0; RoBERTa's come from input_ids != pad, as
 * pad + cumsum. Weight names carry the HF prefix ("bert.", "roberta.") or none for a bare
 * sentence-transformers checkpoint.
 */
public final class BertModel extends TransformerModel {
    private final String prefix;
    private final Head head;
    private final boolean roberta;

    public BertModel(ModelConfig cfg, Checkpoint ck) {
        super(cfg, ck);
        roberta = cfg.modelType().equals("roberta");
        String named = roberta ? "roberta." : "bert.";
        prefix = ck.tensor(named + "embeddings.word_embeddings.weight") != null ? named : "";
        boolean mlmHead = roberta ? ck.tensor("lm_head.dense.weight") != null : ck.tensor("cls.predictions.transform.dense.weight") != null;
        head = mlmHead ? Head.MASKED_LM : Head.ENCODER;
        String e = prefix + "embeddings.";
        List<String> names = new ArrayList<>(List.of(e + "word_embeddings.weight", e + "position_embeddings.weight",
                e + "token_type_embeddings.weight", e + "LayerNorm.weight", e + "LayerNorm.bias"));
        for (int l = 0; l < cfg.layers(); l++)
            for (String s : List.of("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                    "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"))
                names.add(prefix + "encoder.layer." + l + "." + s + ".weight");
        if (head == Head.MASKED_LM)
            names.addAll(roberta ? List.of("lm_head.dense.weight", "lm_head.layer_norm.weight", "lm_head.bias")
                    : List.of("cls.predictions.transform.dense.weight", "cls.predictions.transform.LayerNorm.weight", "cls.predictions.bias"));
        requireTensors(names);
    }

    @Override public String embeddingTable() { return prefix + "embeddings.word_embeddings.weight"; }

    /** The MLM head's transform and output bias (and an untied decoder); none for a bare encoder. */
    @Override
    public List<String> headWeights() {
        if (head != Head.MASKED_LM) throw new ZotuneException(cfg.modelType() + ": a bare encoder has no head to tune; give it a classifier");
        String t = roberta ? "lm_head." : "cls.predictions.transform.";
        String norm = roberta ? "lm_head.layer_norm." : t + "LayerNorm.";
        String decoder = roberta ? "lm_head.decoder.weight" : "cls.predictions.decoder.weight";
        List<String> names = new ArrayList<>(List.of(t + "dense.weight", t + "dense.bias", norm + "weight", norm + "bias",
                roberta ? "lm_head.bias" : "cls.predictions.bias"));
        if (ck.tensor(decoder) != null) names.add(decoder);
        return names;
    }

    @Override public Head head() { return head == Head.ENCODER && hasClassifier() ? Head.CLASSIFIER : head; }

    @Override
    protected Node build(Graph g, Batch b, KvCache cache) {
        if (cache != null) throw new ZotuneException(cfg.modelType() + ": encoders have no incremental decoding");
        checkIds(b);
        int B = b.batch(), T = b.seqLen(), M = B * T, H = cfg.hidden();
        String e = prefix + "embeddings.";
        int[] types = b.tokenTypeIds() == null ? new int[M] : b.tokenTypeIds();
        for (int t : types)
            if (t < 0 || t >= cfg.typeVocabSize())
                throw new ZotuneException("token_type_ids: " + t + " is outside [0, " + cfg.typeVocabSize() + ")");
        var shape = new Graph.AttentionShape(B, T, cfg.heads(), cfg.heads(), cfg.headDim(), b.attentionMask(), false, 0,
                (float) (1.0 / Math.sqrt(cfg.headDim())));
        float eps = (float) cfg.normEps();

        Node x = embedTokens(g, b, null, H);
        x = residual(g, x, g.embedding(e + "token_type_embeddings.weight", types, H, -1));
        x = residual(g, x, g.embedding(e + "position_embeddings.weight", positions(b), H, roberta ? cfg.padTokenId() : -1));
        x = replace(g, x, g.layerNorm(x, e + "LayerNorm", eps));

        for (int l = 0; l < cfg.layers(); l++) {
            String p = prefix + "encoder.layer." + l + ".";
            Node q = linear(g, x, p + "attention.self.query");
            Node k = linear(g, x, p + "attention.self.key"), v = linear(g, x, p + "attention.self.value");
            Node a = attend(g, l, q, k, v, shape, null, 0);
            for (Node n : new Node[] {q, k, v}) g.free(n);
            x = residual(g, x, linear(g, a, p + "attention.output.dense"));
            g.free(a);
            x = replace(g, x, g.layerNorm(x, p + "attention.output.LayerNorm", eps));

            Node i = g.activation(linear(g, x, p + "intermediate.dense"), activation());
            x = residual(g, x, linear(g, i, p + "output.dense"));
            g.free(i);
            x = replace(g, x, g.layerNorm(x, p + "output.LayerNorm", eps));
        }
        if (hasClassifier()) {
            Node pooled = replace(g, x, g.meanPool(x, B, T, b.attentionMask()));
            Node embedding = replace(g, pooled, g.l2Normalize(pooled));
            return replace(g, embedding, linear(g, embedding, CLASSIFIER));
        }
        if (head == Head.ENCODER) return x;

        String t = roberta ? "lm_head." : "cls.predictions.transform.";
        Node h = g.activation(linear(g, x, t + "dense"), activation());
        g.free(x);
        h = replace(g, h, g.layerNorm(h, roberta ? "lm_head.layer_norm" : t + "LayerNorm", eps));
        String decoder = roberta ? "lm_head.decoder.weight" : "cls.predictions.decoder.weight";
        if (ck.tensor(decoder) == null) decoder = e + "word_embeddings.weight";
        return replace(g, h, g.linear(h, decoder, roberta ? "lm_head.bias" : "cls.predictions.bias"));
    }

    /** BERT: 0..T-1. RoBERTa: pad + cumsum(id != pad) on real tokens, pad on padding. */
    private int[] positions(Batch b) {
        int B = b.batch(), T = b.seqLen(), pad = cfg.padTokenId();
        int[] pos = new int[B * T];
        for (int bi = 0; bi < B; bi++) {
            int count = 0;
            for (int t = 0; t < T; t++) {
                int r = bi * T + t;
                if (!roberta) pos[r] = t;
                else if (b.inputIds()[r] != pad) pos[r] = pad + ++count;
                else pos[r] = pad;
                if (pos[r] >= cfg.maxPositions())
                    throw new ZotuneException("input: position " + pos[r] + " exceeds max_position_embeddings " + cfg.maxPositions());
            }
        }
        return pos;
    }

    private Graph.Activation activation() {
        return switch (cfg.activation()) {
            case "gelu" -> Graph.Activation.GELU;
            case "gelu_new", "gelu_pytorch_tanh" -> Graph.Activation.GELU_TANH;
            case "relu" -> Graph.Activation.RELU;
            default -> throw new ZotuneException(cfg.modelType() + ": activation '" + cfg.activation() + "' is not supported for encoders");
        };
    }

}
