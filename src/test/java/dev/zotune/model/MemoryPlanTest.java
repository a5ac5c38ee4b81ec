package dev.zotune.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zotune.Shared;
import dev.zotune.bench.MemoryProbe;
import dev.zotune.io.SafetensorsCheckpoint;
import dev.zotune.io.ZotuneException;
import dev.zotune.optim.Optimizers;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Memory.Category;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The memory plan against the tracked peaks of real optimizer steps, and the fit check. */
class MemoryPlanTest {
    /** A small LLaMA shape (≈5M parameters) whose buffers are over 1 MiB in every category a run uses. */
    static final String SMALL_LLAMA = """
            {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 4096, "hidden_size": 256,
             "intermediate_size": 704, "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 4,
             "max_position_embeddings": 256, "rms_norm_eps": 1e-6, "hidden_act": "silu", "tie_word_embeddings": false}""";

    /** A small OPT shape (≈3M parameters, post-LN, ReLU). */
    static final String SMALL_OPT = """
            {"model_type": "opt", "architectures": ["OPTForCausalLM"], "vocab_size": 4096, "hidden_size": 192, "ffn_dim": 768,
             "num_hidden_layers": 4, "num_attention_heads": 4, "max_position_embeddings": 256, "word_embed_proj_dim": 192,
             "do_layer_norm_before": false, "activation_function": "relu"}""";
    /** A larger LLaMA shape (≈27M parameters). */
    static final String MEDIUM_LLAMA = """
            {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 8192, "hidden_size": 512,
             "intermediate_size": 1408, "num_hidden_layers": 6, "num_attention_heads": 8, "num_key_value_heads": 8,
             "max_position_embeddings": 256, "rms_norm_eps": 1e-6, "hidden_act": "silu", "tie_word_embeddings": false}""";

    private static JsonNode config(String rel) {
        String inline = switch (rel) {
            case "small-llama" -> SMALL_LLAMA;
            case "small-opt" -> SMALL_OPT;
            case "medium-llama" -> MEDIUM_LLAMA;
            default -> null;
        };
        if (inline == null) return SafetensorsCheckpoint.readJson(Shared.path(rel).resolve("config.json"));
        try {
            return new ObjectMapper().readTree(inline);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static MemoryProbe.Setup setup(String model, String optimizer, Scheme scheme, int B, int T) {
        return new MemoryProbe.Setup(model, true, DType.F32, 7, optimizer, scheme, B, T);
    }

    /**
     * The peak total is exactly the sum of the categories held at that moment (Memory.atTotalPeak); weights, state and
     * gradients are their sizes by element count, each category's own peak its exact formula, and ZO-SGD's peak falls in a forward.
     */
    @ParameterizedTest
    @ValueSource(strings = {"zo-sgd", "zo-adam", "fo-sgd", "fo-adam"})
    void stepPeaksAreExplainedByTheirParts(String optimizer) {
        JsonNode cfg = config("conformance/opt-pre-ln");
        ModelConfig c = ModelConfig.from(cfg, "opt-pre-ln");
        var s = setup("opt-pre-ln", optimizer, Scheme.FT, 3, 12);
        MemoryProbe.Result r = MemoryProbe.measure(s, cfg, 1);
        long params = ParameterLayout.of(c).values().stream().mapToLong(d -> d.length == 1 ? d[0] : d[0] * d[1]).sum();
        Map<Category, Long> p = r.peakBytes();
        assertEquals(4 * params, p.get(Category.WEIGHTS), "fp32 writable copy");
        assertEquals(0, p.get(Category.TRAINABLE));
        assertEquals(optimizer.endsWith("adam") ? 8 * params + 8 : 0, p.get(Category.OPTIMIZER_STATE));
        assertEquals(optimizer.startsWith("fo") ? 4 * params : 0, p.get(Category.GRADIENTS));
        assertEquals(optimizer.startsWith("fo") ? MemoryEstimate.backpropActivations(c, c.vocabSize(), 3, 12)
                : MemoryEstimate.forwardActivations(c, c.vocabSize(), 3, 12), p.get(Category.ACTIVATIONS));
        long fixed = p.get(Category.WEIGHTS) + p.get(Category.OPTIMIZER_STATE) + p.get(Category.GRADIENTS);
        Map<Category, Long> at = r.atPeakBytes();
        assertEquals(r.peakTrackedBytes(), at.values().stream().mapToLong(Long::longValue).sum(), "the peak is the sum of its parts");
        assertEquals(fixed, at.get(Category.WEIGHTS) + at.get(Category.OPTIMIZER_STATE) + at.get(Category.GRADIENTS),
                "weights, state and gradients are all held at the peak");
        if (optimizer.equals("zo-sgd"))
            assertEquals(MemoryEstimate.forwardActivations(c, c.vocabSize(), 3, 12), at.get(Category.ACTIVATIONS), "ZO-SGD peaks inside a forward pass");
        MemoryPlan plan = s.plan(cfg);
        assertEquals(plan.weights() + plan.optimizerState() + plan.gradients() + plan.activations(),
                fixed + p.get(Category.ACTIVATIONS), "the plan's exact parts");
    }

    /**
     * Within 10% of the measured peak total and of every category of at least 1 MiB, every optimizer, FT and LoRA,
     * three sizes (3M, 5M, 27M parameters). Scratch is planned for the worst case, every thread with its own Gemm and
     * update buffers: how many threads a product actually lands on varies from run to run, so it is checked as a bound.
     */
    @ParameterizedTest
    @ValueSource(strings = {"small-opt", "small-llama", "medium-llama"})
    void estimateIsWithinTenPercent(String model) {
        JsonNode cfg = config(model);
        for (Scheme scheme : new Scheme[] {Scheme.FT, Scheme.LORA})
            for (String o : Optimizers.NAMES) {
                var s = setup(model, o, scheme, 2, 16);
                MemoryProbe.Result r = MemoryProbe.measure(s, cfg, 1);
                MemoryPlan plan = s.plan(cfg);
                String what = model + " " + o + " " + scheme;
                within(plan.total(), r.peakTrackedBytes(), what + " total");
                long[] est = {plan.weights(), plan.trainable(), plan.optimizerState(), plan.gradients(), plan.activations(), plan.scratch()};
                for (Category c : Category.values()) {
                    long got = r.peakBytes().get(c);
                    if (c == Category.SCRATCH) assertTrue(got <= 1.1 * est[c.ordinal()] + (256 << 10),
                            what + " scratch: estimated at most " + est[c.ordinal()] + ", measured " + got);
                    else if (got >= 1 << 20) within(est[c.ordinal()], got, what + " " + c);
                }
            }
    }

    private static void within(long estimate, long measured, String what) {
        assertTrue(Math.abs(estimate - measured) <= 0.1 * measured, what + ": estimated " + estimate + ", measured " + measured);
    }

    @Test
    void refusesARunThatDoesNotFitInOneLine() {
        MemoryPlan plan = MemoryPlan.of(ModelConfig.from(config("small-llama"), "small-llama"),
                new MemoryPlan.Run("fo-adam", Scheme.FT, Scheme.Options.defaults(), DType.BF16, false, 16, 128, 0));
        var tight = new MemoryBudget(plan.total() - 1, Long.MAX_VALUE);
        assertFalse(tight.fits(plan, 0));
        ZotuneException e = assertThrows(ZotuneException.class, () -> tight.require(plan, 0, "train: small-llama"));
        assertTrue(e.getMessage().startsWith("train: small-llama needs about") && !e.getMessage().contains("\n"), e.getMessage());
        assertThrows(ZotuneException.class, () -> new MemoryBudget(Long.MAX_VALUE, plan.heapBytes() - 1).require(plan, 0, "x"),
                "the heap bounds the float[] buffers");
        new MemoryBudget(plan.total(), plan.heapBytes()).require(plan, 0, "exact fit");
        assertTrue(new MemoryBudget(plan.total() - 100, plan.heapBytes()).fits(plan, 100), "bytes already held count as available");
    }

    @Test
    void estimatesBenchSizesFromTheConfigAlone() {
        String opt13b = """
                {"model_type": "opt", "architectures": ["OPTForCausalLM"], "vocab_size": 50272, "hidden_size": 5120, "ffn_dim": 20480,
                 "num_hidden_layers": 40, "num_attention_heads": 40, "max_position_embeddings": 2048, "word_embed_proj_dim": 5120,
                 "do_layer_norm_before": true, "activation_function": "relu"}""";
        try {
            ModelConfig c = ModelConfig.from(new ObjectMapper().readTree(opt13b), "opt-13b");
            MemoryPlan zo = MemoryPlan.of(c, new MemoryPlan.Run("zo-sgd", Scheme.FT, Scheme.Options.defaults(), DType.BF16, false, 16, 128, 0));
            MemoryPlan adam = MemoryPlan.of(c, new MemoryPlan.Run("fo-adam", Scheme.FT, Scheme.Options.defaults(), DType.BF16, false, 16, 128, 0));
            assertTrue(zo.parameters() > 12_800_000_000L && zo.parameters() < 13_000_000_000L, "OPT-13B: " + zo.parameters());
            assertEquals(4 * zo.parameters(), zo.weights(), "FT trains an fp32 copy");
            assertEquals(12 * adam.parameters() + 8, adam.optimizerState() + adam.gradients(), "Adam: m, v and the gradient in fp32");
            assertTrue(adam.total() > 3.9 * zo.total(), "FO-Adam holds about 4× ZO-SGD's bytes");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
