package dev.zotune.model;

import dev.zotune.io.ZotuneException;

import dev.zotune.io.Checkpoint;
import dev.zotune.kernels.Attention;
import dev.zotune.kernels.Ops;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.WeightMatrix;

import java.util.ArrayList;
import java.util.List;

/**
 * LLaMA (LLaMA-2, Vicuna) and Mistral causal LMs: RMSNorm, RoPE (rotate_half), grouped-query
 * attention, SwiGLU MLP; Mistral adds a sliding attention window. Positions are arange(T) from
 * the cache length, as HF's forward does by default (RoPE is relative, so left padding is fine).
 */
public final class LlamaModel extends TransformerModel {
    private final float[] cos, sin;

    public LlamaModel(ModelConfig cfg, Checkpoint ck) {
        super(cfg, ck);
        List<String> names = new ArrayList<>(List.of("model.embed_tokens.weight", "model.norm.weight"));
        for (int l = 0; l < cfg.layers(); l++)
            for (String s : List.of("input_layernorm", "post_attention_layernorm", "self_attn.q_proj", "self_attn.k_proj",
                    "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"))
                names.add("model.layers." + l + "." + s + ".weight");
        if (!cfg.tieWordEmbeddings()) names.add("lm_head.weight");
        requireTensors(names);
        float[][] t = Ops.ropeTables(cfg.ropeTheta(), cfg.headDim(), cfg.maxPositions());
        cos = t[0];
        sin = t[1];
        Memory.add(Memory.Category.SCRATCH, 4L * (cos.length + sin.length));
    }

    @Override
    public void close() {
        Memory.add(Memory.Category.SCRATCH, -4L * (cos.length + sin.length));
        super.close();
    }

    @Override public Head head() { return Head.CAUSAL_LM; }

    @Override
    public KvCache newCache(int batch, int capacity) {
        return new KvCache(cfg.layers(), batch, capacity, cfg.kvHeads() * cfg.headDim());
    }

    @Override
    public float[] forward(Batch b, KvCache cache) {
        checkIds(b);
        int B = b.batch(), T = b.seqLen(), M = B * T, H = cfg.hidden();
        int nh = cfg.heads(), nkv = cfg.kvHeads(), hd = cfg.headDim(), kvd = nkv * hd;
        int past = cache == null ? 0 : cache.length, cap = cache == null ? T : cache.capacity;
        if (past + T > cfg.maxPositions())
            throw new ZotuneException("input: " + (past + T) + " positions exceed max_position_embeddings " + cfg.maxPositions());
        int[] pos = new int[M];
        for (int r = 0; r < M; r++) pos[r] = past + r % T;
        int[] keyMask = Decoding.keyMask(b, cache);

        float[] x = buf(M * H);
        gather(tensor("model.embed_tokens.weight"), b.inputIds(), x, H);
        float[] h = buf(M * H);
        for (int l = 0; l < cfg.layers(); l++) {
            String p = "model.layers." + l + ".";
            Ops.rmsNorm(x, h, M, H, vec(p + "input_layernorm.weight"), cfg.normEps());
            float[] q = linear(h, M, p + "self_attn.q_proj");
            float[] k = linear(h, M, p + "self_attn.k_proj");
            float[] v = linear(h, M, p + "self_attn.v_proj");
            Ops.rope(q, M, nh * hd, nh, hd, pos, cos, sin);
            Ops.rope(k, M, kvd, nkv, hd, pos, cos, sin);
            float[] a = buf(M * nh * hd);
            float[][] kv = Decoding.store(cache, l, k, v, B, T, kvd);
            Attention.forward(q, kv[0], kv[1], B, T, past, cap, nh, nkv, hd, keyMask, true, cfg.slidingWindow(),
                    (float) (1.0 / Math.sqrt(hd)), a);
            float[] o = linear(a, M, p + "self_attn.o_proj");
            Ops.add(x, o, M * H);
            for (float[] f : new float[][] {q, k, v, a, o}) release(f);

            Ops.rmsNorm(x, h, M, H, vec(p + "post_attention_layernorm.weight"), cfg.normEps());
            float[] g = linear(h, M, p + "mlp.gate_proj");
            float[] u = linear(h, M, p + "mlp.up_proj");
            Ops.siluMul(g, u, M * cfg.intermediate());
            float[] d = linear(g, M, p + "mlp.down_proj");
            Ops.add(x, d, M * H);
            for (float[] f : new float[][] {g, u, d}) release(f);
        }
        if (cache != null) cache.length += T;
        Ops.rmsNorm(x, h, M, H, vec("model.norm.weight"), cfg.normEps());
        WeightMatrix lmHead = ck.matrix(cfg.tieWordEmbeddings() || tensor("lm_head.weight") == null ? "model.embed_tokens.weight" : "lm_head.weight");
        return releaseAllBut(linear(h, M, lmHead, null));
    }
}
