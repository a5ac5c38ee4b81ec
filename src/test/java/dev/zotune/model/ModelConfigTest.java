package dev.zotune.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zotune.Shared;
import dev.zotune.io.SafeTensors;
import dev.zotune.io.SafetensorsCheckpoint;
import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LLAMA = """
            {"model_type":"llama","hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,
             "num_key_value_heads":2,"intermediate_size":100,"vocab_size":199,"rms_norm_eps":1e-6}""";

    @TempDir Path tmp;

    @Test
    void parsesAndDerivesDefaults() throws IOException {
        ModelConfig c = ModelConfig.from(JSON.readTree(LLAMA), "config.json");
        assertEquals(16, c.headDim());
        assertEquals(2, c.kvHeads());
        assertEquals(10000.0, c.ropeTheta());
        assertFalse(c.tieWordEmbeddings());
    }

    @Test
    void badConfigsNameTheFileAndField() throws IOException {
        assertBad("{}", "config has no model_type");
        assertBad("{\"model_type\":\"gpt9\"}", "unknown model_type 'gpt9'");
        assertBad(LLAMA.replace("\"hidden_size\":64", "\"hidden_size\":-64"), "'hidden_size' must be a positive integer");
        assertBad(LLAMA.replace("\"num_key_value_heads\":2", "\"num_key_value_heads\":3"), "not a multiple of num_key_value_heads");
        assertBad(LLAMA.replace("\"vocab_size\":199,", ""), "'vocab_size' is missing");
        assertBad(LLAMA.replace("1e-6", "2.0"), "'rms_norm_eps' must be in (0, 1)");
        assertBad(LLAMA.replace("\"hidden_size\":64", "\"hidden_size\":66"), "not a multiple of num_attention_heads");
    }

    /** Random values in any field give a valid config or one clean line, never another exception. */
    @Property(tries = 300)
    void mutatedConfigsFailCleanly(@ForAll @IntRange(min = 0, max = 100_000) int seed) throws IOException {
        Random r = new Random(seed);
        ObjectNode c = (ObjectNode) JSON.readTree(LLAMA);
        var fields = new java.util.ArrayList<String>();
        c.fieldNames().forEachRemaining(fields::add);
        String f = fields.get(r.nextInt(fields.size()));
        switch (r.nextInt(5)) {
            case 0 -> c.put(f, r.nextInt(401) - 200);
            case 1 -> c.put(f, "text");
            case 2 -> c.putNull(f);
            case 3 -> c.remove(f);
            default -> c.put(f, r.nextDouble() * 10);
        }
        try {
            ModelConfig.from(c, "config.json");
        } catch (ZotuneException e) {
            assertTrue(e.getMessage().startsWith("config.json: "), e.getMessage());
        }
    }

    @Test
    void missingTensorsAreNamed() throws IOException {
        Path src = Shared.path("conformance/llama-gqa");
        Path dir = Files.createDirectories(tmp.resolve("broken"));
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> t = new HashMap<>(SafeTensors.map(src.resolve("model.safetensors"), arena).tensors());
            t.remove("model.layers.1.mlp.up_proj.weight");
            SafeTensors.write(dir.resolve("model.safetensors"), t);
        }
        ZotuneException e = assertThrows(ZotuneException.class, () -> Models.load(dir.toString()));
        assertTrue(e.getMessage().contains("missing 1 tensor(s): model.layers.1.mlp.up_proj.weight"), e.getMessage());
    }

    private void assertBad(String json, String problem) throws IOException {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, json);
        ZotuneException e = assertThrows(ZotuneException.class, () -> ModelConfig.from(SafetensorsCheckpoint.readJson(f), f.toString()));
        assertTrue(e.getMessage().startsWith(f + ": ") && e.getMessage().contains(problem), e.getMessage());
    }
}
