package dev.zotune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zotune.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code zotune memory}: measured and estimate-only, with the JSON the benchmark runner reads. */
class MemoryCliTest {
    @TempDir Path tmp;

    @Test
    void measuresAStepBesideTheEstimate() throws Exception {
        String model = Shared.path("conformance/llama-gqa").toString();
        Path json = tmp.resolve("m.json");
        assertEquals(0, Main.run("memory", "--model", model, "--random-init", "--optimizer", "fo-adam", "--scheme", "lora",
                "--batch-size", "2", "--seq-len", "8", "--steps", "2", "--json", json.toString()));
        JsonNode o = new ObjectMapper().readTree(json.toFile());
        assertEquals("fo-adam", o.get("optimizer").asText());
        assertEquals("lora", o.get("scheme").asText());
        assertEquals("f32", o.get("dtype").asText());
        JsonNode m = o.get("measured");
        assertEquals(2, m.get("steps").asInt());
        assertEquals(1, m.get("backwardsPerStep").asInt());
        assertEquals(1.0, m.get("forwardsPerStep").asDouble());
        assertTrue(m.get("peakBytes").get("gradients").asLong() > 0 && m.get("peakTrackedBytes").asLong() > 0);
        assertEquals(o.get("trainableParameters").asLong() * 4, m.get("peakBytes").get("gradients").asLong());
        assertTrue(m.get("stepTime").has("meanMs"));
        assertTrue(o.get("fits").asBoolean());
    }

    @Test
    void estimatesABenchSizeWithoutWeights() throws Exception {
        Path cfg = tmp.resolve("config.json"), json = tmp.resolve("e.json");
        java.nio.file.Files.writeString(cfg, """
                {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 32000, "hidden_size": 8192,
                 "intermediate_size": 28672, "num_hidden_layers": 80, "num_attention_heads": 64, "num_key_value_heads": 8,
                 "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "hidden_act": "silu", "torch_dtype": "bfloat16"}""");
        assertEquals(0, Main.run("memory", "--model", cfg.toString(), "--estimate", "--optimizer", "zo-sgd", "--scheme", "ft",
                "--batch-size", "16", "--seq-len", "128", "--json", json.toString()));
        JsonNode o = new ObjectMapper().readTree(json.toFile());
        assertTrue(o.get("measured").isNull());
        assertEquals("bf16", o.get("dtype").asText());
        long params = o.get("parameters").asLong();
        assertTrue(params > 68_000_000_000L && params < 70_000_000_000L, "LLaMA-2-70B: " + params);
        assertEquals(4 * params, o.get("estimate").get("weights").asLong(), "FT: the fp32 copy");
        assertTrue(o.get("estimate").get("total").asLong() > o.get("estimate").get("weights").asLong());
        assertTrue(o.has("availableBytes") && o.has("fits"));

        // a grid's --if-fits: too big to run here, so the estimate alone, and no weights built
        Path json2 = tmp.resolve("f.json");
        assertEquals(0, Main.run("memory", "--model", cfg.toString(), "--random-init", "--if-fits", "--optimizer", "fo-adam",
                "--batch-size", "16", "--seq-len", "128", "--json", json2.toString()));
        JsonNode f = new ObjectMapper().readTree(json2.toFile());
        assertTrue(f.get("measured").isNull() && !f.get("fits").asBoolean(), f.toString());
    }
}
