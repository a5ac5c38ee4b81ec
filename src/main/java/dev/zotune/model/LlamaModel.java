package dev.zotune.model;

import dev.zotune.io.ZotuneException;

import dev.zotune.io.Checkpoint;
import dev.zotune.autodiff.Graph;
import dev.zotune.autodiff.Graph.Node;
import dev.zotune.kernels.Ops;
import dev.zotune.tensor.Memory;

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

    @Override public String embeddingTable() { return "model.embed_tokens.weight"; }

    @Override public List<String> headWeights() { return List.of(lmHead()); }

    private String lmHead() {
        return cfg.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
    }

    @Override public Head head() { return Head.CAUSAL_LM; }

    @Override
    public KvCache newCache(int batch, int capacity) {
        return new KvCache(cfg.layers(), batch, capacity, cfg.kvHeads() * cfg.headDim());
    }

    @Override
    protected Node build(Graph g, Batch b, KvCache cache) {
        checkIds(b);
        int B = b.batch(), T = b.seqLen(), M = B * T, H = cfg.hidden();
        int nh = cfg.heads(), nkv = cfg.kvHeads(), hd = cfg.headDim();
        int past = cache == null ? 0 : cache.length;
        if (past + T > cfg.maxPositions())
            throw new ZotuneException("input: " + (past + T) + " positions exceed max_position_embeddings " + cfg.maxPositions());
        int[] pos = new int[M];
        for (int r = 0; r < M; r++) pos[r] = past + r % T;
        var shape = new Graph.AttentionShape(B, T, nh, nkv, hd, Decoding.keyMask(b, cache), true, cfg.slidingWindow(),
                (float) (1.0 / Math.sqrt(hd)));
        float eps = (float) cfg.normEps();

        Node x = embedTokens(g, b, cache, H);
        for (int l = 0; l < cfg.layers(); l++) {
            String p = "model.layers." + l + ".";
            Node h = g.rmsNorm(x, p + "input_layernorm", eps);
            Node q = g.rope(linear(g, h, p + "self_attn.q_proj"), nh, hd, pos, cos, sin);
            Node k = g.rope(linear(g, h, p + "self_attn.k_proj"), nkv, hd, pos, cos, sin);
            Node v = linear(g, h, p + "self_attn.v_proj");
            g.free(h);
            Node a = attend(g, l, q, k, v, shape, cache, past);
            for (Node n : new Node[] {q, k, v}) g.free(n);
            x = residual(g, x, linear(g, a, p + "self_attn.o_proj"));
            g.free(a);

            h = g.rmsNorm(x, p + "post_attention_layernorm", eps);
            Node gate = linear(g, h, p + "mlp.gate_proj"), up = linear(g, h, p + "mlp.up_proj");
            g.free(h);
            Node act = g.siluMul(gate, up);
            g.free(up);
            x = residual(g, x, linear(g, act, p + "mlp.down_proj"));
            g.free(act);
        }
        if (cache != null) cache.length += T;
        x = replace(g, x, g.rmsNorm(x, "model.norm", eps));
        return replace(g, x, g.linear(x, lmHead(), null));
    }
}
