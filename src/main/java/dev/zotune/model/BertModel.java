package dev.zotune.model;

import dev.zotune.io.Checkpoint;
import dev.zotune.io.ZotuneException;
import dev.zotune.kernels.Attention;
import dev.zotune.kernels.Ops;

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

    @Override public Head head() { return head; }

    @Override
    public float[] forward(Batch b, KvCache cache) {
        if (cache != null) throw new ZotuneException(cfg.modelType() + ": encoders have no incremental decoding");
        checkIds(b);
        int B = b.batch(), T = b.seqLen(), M = B * T, H = cfg.hidden(), nh = cfg.heads(), hd = cfg.headDim();
        String e = prefix + "embeddings.";
        float[] x = buf(M * H);
        gather(tensor(e + "word_embeddings.weight"), b.inputIds(), x, H);
        int[] types = b.tokenTypeIds() == null ? new int[M] : b.tokenTypeIds();
        for (int t : types)
            if (t < 0 || t >= cfg.typeVocabSize())
                throw new ZotuneException("token_type_ids: " + t + " is outside [0, " + cfg.typeVocabSize() + ")");
        gatherAdd(tensor(e + "token_type_embeddings.weight"), types, x, H);
        gatherAdd(tensor(e + "position_embeddings.weight"), positions(b), x, H);
        layerNorm(x, x, M, e + "LayerNorm");

        for (int l = 0; l < cfg.layers(); l++) {
            String p = prefix + "encoder.layer." + l + ".";
            float[] q = linear(x, M, p + "attention.self.query");
            float[] k = linear(x, M, p + "attention.self.key");
            float[] v = linear(x, M, p + "attention.self.value");
            float[] a = buf(M * H);
            Attention.forward(q, k, v, B, T, 0, T, nh, nh, hd, b.attentionMask(), false, 0, (float) (1.0 / Math.sqrt(hd)), a);
            float[] o = linear(a, M, p + "attention.output.dense");
            Ops.add(x, o, M * H);
            layerNorm(x, x, M, p + "attention.output.LayerNorm");
            for (float[] f : new float[][] {q, k, v, a, o}) release(f);

            float[] i = linear(x, M, p + "intermediate.dense");
            activation(i, M * cfg.intermediate());
            float[] f = linear(i, M, p + "output.dense");
            Ops.add(x, f, M * H);
            layerNorm(x, x, M, p + "output.LayerNorm");
            release(i);
            release(f);
        }
        if (head == Head.ENCODER) return releaseAllBut(x);

        String t = roberta ? "lm_head." : "cls.predictions.transform.";
        float[] h = linear(x, M, t + "dense");
        activation(h, M * H);
        layerNorm(h, h, M, roberta ? "lm_head.layer_norm" : t + "LayerNorm");
        String decoder = roberta ? "lm_head.decoder.weight" : "cls.predictions.decoder.weight";
        if (tensor(decoder) == null) decoder = e + "word_embeddings.weight";
        return releaseAllBut(linear(h, M, ck.matrix(decoder), vec(roberta ? "lm_head.bias" : "cls.predictions.bias")));
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

    private void activation(float[] a, int n) {
        switch (cfg.activation()) {
            case "gelu" -> Ops.gelu(a, n);
            case "gelu_new", "gelu_pytorch_tanh" -> Ops.geluTanh(a, n);
            case "relu" -> Ops.relu(a, n);
            default -> throw new ZotuneException(cfg.modelType() + ": activation '" + cfg.activation() + "' is not supported for encoders");
        }
    }

    private void layerNorm(float[] x, float[] y, int rows, String name) {
        Ops.layerNorm(x, y, rows, cfg.hidden(), vec(name + ".weight"), vec(name + ".bias"), cfg.normEps());
    }
}
