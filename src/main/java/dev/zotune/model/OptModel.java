package dev.zotune.model;

import dev.zotune.io.Checkpoint;
import dev.zotune.io.ZotuneException;
import dev.zotune.autodiff.Graph;
import dev.zotune.autodiff.Graph.Node;

import java.util.ArrayList;
import java.util.List;

/**
 * OPT causal LM. Pre-LN (125m style, with a decoder final LayerNorm) or post-LN (350m style,
 * with project_in/project_out when word_embed_proj_dim != hidden_size). Learned positions with
 * offset 2 come from the attention mask's cumulative sum, so left padding is exact. q is scaled
 * by head_dim^-0.5 after its bias; the LM head is tied to the token embedding.
 */
public final class OptModel extends TransformerModel {
    private static final int POSITION_OFFSET = 2;
    private static final String D = "model.decoder.";
    private static final float LN_EPS = 1e-5f;

    private final boolean project, finalNorm;

    public OptModel(ModelConfig cfg, Checkpoint ck) {
        super(cfg, ck);
        project = cfg.wordEmbedProjDim() != cfg.hidden();
        finalNorm = cfg.layerNormBefore() && !ck.config().path("_remove_final_layer_norm").asBoolean(false);
        List<String> names = new ArrayList<>(List.of(D + "embed_tokens.weight", D + "embed_positions.weight"));
        if (project) names.addAll(List.of(D + "project_in.weight", D + "project_out.weight"));
        if (finalNorm) names.addAll(List.of(D + "final_layer_norm.weight", D + "final_layer_norm.bias"));
        for (int l = 0; l < cfg.layers(); l++)
            for (String s : List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj",
                    "fc1", "fc2", "self_attn_layer_norm", "final_layer_norm"))
                names.add(D + "layers." + l + "." + s + ".weight");
        requireTensors(names);
    }

    @Override public String embeddingTable() { return D + "embed_tokens.weight"; }

    @Override public List<String> headWeights() { return List.of(lmHead()); }

    private String lmHead() { return ck.tensor("lm_head.weight") != null ? "lm_head.weight" : D + "embed_tokens.weight"; }

    @Override public Head head() { return Head.CAUSAL_LM; }

    @Override
    public KvCache newCache(int batch, int capacity) {
        return new KvCache(cfg.layers(), batch, capacity, cfg.hidden());
    }

    @Override
    protected Node build(Graph g, Batch b, KvCache cache) {
        checkIds(b);
        int B = b.batch(), T = b.seqLen(), H = cfg.hidden(), E = cfg.wordEmbedProjDim(), nh = cfg.heads();
        int past = cache == null ? 0 : cache.length;
        boolean pre = cfg.layerNormBefore();
        var shape = new Graph.AttentionShape(B, T, nh, nh, cfg.headDim(), Decoding.keyMask(b, cache), true, 0, 1f);
        float scale = (float) Math.pow(cfg.headDim(), -0.5);

        Node x = embedTokens(g, b, cache, E);
        if (project) x = replace(g, x, linear(g, x, D + "project_in"));
        Node pos = g.embedding(D + "embed_positions.weight", positions(b, cache), H, -1);
        x = g.add(x, pos);
        g.free(pos);
        for (int l = 0; l < cfg.layers(); l++) {
            String p = D + "layers." + l + ".";
            // attention block: pre-LN normalises its input, post-LN its output
            Node in = pre ? g.layerNorm(x, p + "self_attn_layer_norm", LN_EPS) : x;
            Node q = g.scale(linear(g, in, p + "self_attn.q_proj"), scale);
            Node k = linear(g, in, p + "self_attn.k_proj"), v = linear(g, in, p + "self_attn.v_proj");
            if (pre) g.free(in);
            Node a = attend(g, l, q, k, v, shape, cache, past);
            for (Node n : new Node[] {q, k, v}) g.free(n);
            x = residual(g, x, linear(g, a, p + "self_attn.out_proj"));
            g.free(a);
            if (!pre) x = replace(g, x, g.layerNorm(x, p + "self_attn_layer_norm", LN_EPS));

            in = pre ? g.layerNorm(x, p + "final_layer_norm", LN_EPS) : x;
            Node f1 = g.activation(linear(g, in, p + "fc1"), Graph.Activation.RELU);
            if (pre) g.free(in);
            x = residual(g, x, linear(g, f1, p + "fc2"));
            g.free(f1);
            if (!pre) x = replace(g, x, g.layerNorm(x, p + "final_layer_norm", LN_EPS));
        }
        if (cache != null) cache.length += T;
        if (finalNorm) x = replace(g, x, g.layerNorm(x, D + "final_layer_norm", LN_EPS));
        if (project) x = replace(g, x, linear(g, x, D + "project_out"));
        return replace(g, x, g.linear(x, lmHead(), null));
    }

    /** HF's OPT positions: (cumsum(mask) · mask − 1) + 2, continuing the cache's count. */
    private int[] positions(Batch b, KvCache cache) {
        int B = b.batch(), T = b.seqLen();
        int[] pos = new int[B * T];
        for (int bi = 0; bi < B; bi++) {
            int seen = cache == null ? 0 : cache.realTokens[bi];
            for (int t = 0; t < T; t++) {
                int m = b.attentionMask()[bi * T + t] != 0 ? 1 : 0;
                seen += m;
                pos[bi * T + t] = seen * m - 1 + POSITION_OFFSET;
                if (pos[bi * T + t] >= cfg.maxPositions() + POSITION_OFFSET)
                    throw new ZotuneException("input: position " + (seen - 1) + " exceeds max_position_embeddings " + cfg.maxPositions());
            }
            if (cache != null) cache.realTokens[bi] = seen;
        }
        return pos;
    }

}
