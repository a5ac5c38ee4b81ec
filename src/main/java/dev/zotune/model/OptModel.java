package dev.zotune.model;

import dev.zotune.io.Checkpoint;
import dev.zotune.io.ZotuneException;
import dev.zotune.kernels.Attention;
import dev.zotune.kernels.Ops;

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

    @Override public Head head() { return Head.CAUSAL_LM; }

    @Override
    public KvCache newCache(int batch, int capacity) {
        return new KvCache(cfg.layers(), batch, capacity, cfg.hidden());
    }

    @Override
    public float[] forward(Batch b, KvCache cache) {
        checkIds(b);
        int B = b.batch(), T = b.seqLen(), M = B * T, H = cfg.hidden(), E = cfg.wordEmbedProjDim();
        int nh = cfg.heads(), hd = cfg.headDim();
        int past = cache == null ? 0 : cache.length, cap = cache == null ? T : cache.capacity;
        int[] keyMask = Decoding.keyMask(b, cache);

        float[] x;
        float[] e = buf(M * E);
        gather(tensor(D + "embed_tokens.weight"), b.inputIds(), e, E);
        x = project ? linear(e, M, D + "project_in") : e;
        gatherAdd(tensor(D + "embed_positions.weight"), positions(b, cache), x, H);

        float[] h = buf(M * H);
        float scale = (float) Math.pow(hd, -0.5);
        for (int l = 0; l < cfg.layers(); l++) {
            String p = D + "layers." + l + ".";
            // attention block: pre-LN normalises its input, post-LN its output
            float[] in = x;
            if (cfg.layerNormBefore()) { layerNorm(x, h, M, p + "self_attn_layer_norm"); in = h; }
            float[] q = linear(in, M, p + "self_attn.q_proj");
            for (int i = 0; i < M * H; i++) q[i] *= scale;
            float[] k = linear(in, M, p + "self_attn.k_proj");
            float[] v = linear(in, M, p + "self_attn.v_proj");
            float[] a = buf(M * H);
            float[][] kv = Decoding.store(cache, l, k, v, B, T, H);
            Attention.forward(q, kv[0], kv[1], B, T, past, cap, nh, nh, hd, keyMask, true, 0, 1f, a);
            float[] o = linear(a, M, p + "self_attn.out_proj");
            Ops.add(x, o, M * H);
            if (!cfg.layerNormBefore()) layerNorm(x, x, M, p + "self_attn_layer_norm");
            for (float[] f : new float[][] {q, k, v, a, o}) release(f);

            in = x;
            if (cfg.layerNormBefore()) { layerNorm(x, h, M, p + "final_layer_norm"); in = h; }
            float[] f1 = linear(in, M, p + "fc1");
            Ops.relu(f1, M * cfg.intermediate());
            float[] f2 = linear(f1, M, p + "fc2");
            Ops.add(x, f2, M * H);
            if (!cfg.layerNormBefore()) layerNorm(x, x, M, p + "final_layer_norm");
            release(f1);
            release(f2);
        }
        if (cache != null) cache.length += T;
        if (finalNorm) { layerNorm(x, h, M, D + "final_layer_norm"); x = h; }
        if (project) x = linear(x, M, D + "project_out");
        String head = tensor("lm_head.weight") != null ? "lm_head.weight" : D + "embed_tokens.weight";
        return releaseAllBut(linear(x, M, ck.matrix(head), null));
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

    private void layerNorm(float[] x, float[] y, int rows, String name) {
        Ops.layerNorm(x, y, rows, cfg.hidden(), vec(name + ".weight"), vec(name + ".bias"), LN_EPS);
    }
}
