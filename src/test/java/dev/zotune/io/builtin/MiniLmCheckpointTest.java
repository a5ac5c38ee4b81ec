package dev.zotune.io.builtin;

import dev.zotune.io.Checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;
import dev.zotune.tensor.WeightMatrix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class MiniLmCheckpointTest {
    private static MiniLmCheckpoint ckpt;

    @BeforeAll
    static void load() throws Exception { ckpt = MiniLmCheckpoint.load(); }

    @AfterAll
    static void close() { ckpt.close(); }

    /** Every parameter of an HF BertModel without pooler, with HF's [out, in] shapes for Linear weights. */
    static Map<String, long[]> expectedHfShapes(JsonNode cfg, String prefix) {
        long v = cfg.get("vocab_size").asLong(), h = cfg.get("hidden_size").asLong(), f = cfg.get("intermediate_size").asLong();
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put(prefix + "embeddings.word_embeddings.weight", new long[]{v, h});
        m.put(prefix + "embeddings.position_embeddings.weight", new long[]{cfg.get("max_position_embeddings").asLong(), h});
        m.put(prefix + "embeddings.token_type_embeddings.weight", new long[]{cfg.get("type_vocab_size").asLong(), h});
        m.put(prefix + "embeddings.LayerNorm.weight", new long[]{h});
        m.put(prefix + "embeddings.LayerNorm.bias", new long[]{h});
        for (int l = 0; l < cfg.get("num_hidden_layers").asInt(); l++) {
            String p = prefix + "encoder.layer." + l + ".";
            for (String lin : new String[]{"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
                m.put(p + lin + ".weight", new long[]{h, h});
                m.put(p + lin + ".bias", new long[]{h});
            }
            m.put(p + "attention.output.LayerNorm.weight", new long[]{h});
            m.put(p + "attention.output.LayerNorm.bias", new long[]{h});
            m.put(p + "intermediate.dense.weight", new long[]{f, h});
            m.put(p + "intermediate.dense.bias", new long[]{f});
            m.put(p + "output.dense.weight", new long[]{h, f});
            m.put(p + "output.dense.bias", new long[]{h});
            m.put(p + "output.LayerNorm.weight", new long[]{h});
            m.put(p + "output.LayerNorm.bias", new long[]{h});
        }
        return m;
    }

    /** Checks names, HF shapes, and that exactly the Linear weights are stored [in, out]. */
    static void assertHfLayout(Checkpoint c, Map<String, long[]> expected) {
        assertEquals(expected.keySet(), c.names());
        expected.forEach((name, hf) -> {
            Tensor t = c.tensor(name);
            boolean linear = name.endsWith(".weight") && hf.length == 2 && !name.contains("embeddings");
            assertEquals(linear, c.storedInOut(name), name);
            if (linear) {
                WeightMatrix w = c.matrix(name);
                assertEquals(hf[0], w.out(), name + " out");
                assertEquals(hf[1], w.in(), name + " in");
                assertArrayEquals(new long[]{hf[1], hf[0]}, t.shape(), name + " is stored [in, out]");
            } else {
                assertArrayEquals(hf, t.shape(), name);
            }
        });
    }

    @Test
    void configIsTheHfConfigOfAllMiniLmL6V2() throws Exception {
        JsonNode expected = new ObjectMapper().readTree("""
                {"_name_or_path": "nreimers/MiniLM-L6-H384-uncased", "architectures": ["BertModel"],
                 "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": false, "hidden_act": "gelu",
                 "hidden_dropout_prob": 0.1, "hidden_size": 384, "initializer_range": 0.02, "intermediate_size": 1536,
                 "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert",
                 "num_attention_heads": 12, "num_hidden_layers": 6, "pad_token_id": 0,
                 "position_embedding_type": "absolute", "transformers_version": "4.8.2", "type_vocab_size": 2,
                 "use_cache": true, "vocab_size": 30522}""");
        assertEquals(expected, ckpt.config());
    }

    @Test
    void everyHfBertModelTensorIsPresentWithItsShape() {
        Map<String, long[]> expected = expectedHfShapes(ckpt.config(), "");
        assertEquals(5 + 6 * 16, expected.size());
        assertHfLayout(ckpt, expected);
        assertNull(ckpt.tensor("pooler.dense.weight"), "this export has no pooler");
    }

    @Test
    void parameterCountIsThatOfMiniLmWithoutPooler() {
        long params = ckpt.names().stream().mapToLong(n -> ckpt.tensor(n).numel()).sum();
        // 22,713,216 with the pooler (384*384 + 384), which the ONNX export leaves out.
        assertEquals(22_565_376, params);
    }

    @Test
    void weightsAreReadableLittleEndianFloats() {
        float[] gamma = ckpt.tensor("embeddings.LayerNorm.weight").toFloats();
        double mean = 0;
        for (float g : gamma) {
            assertTrue(Float.isFinite(g));
            mean += g / gamma.length;
        }
        assertTrue(mean > 0.1 && mean < 10, "LayerNorm gains of a trained model are O(1), mean " + mean);
        float[] row = new float[384];
        ckpt.tensor("encoder.layer.5.output.dense.weight").readFloats(1535L * 384, row, 0, 384);
        for (float x : row) assertTrue(Float.isFinite(x) && Math.abs(x) < 10);
    }

    @Test
    void memoryIsAccountedOnLoadAndReleasedOnceOnClose() throws Exception {
        long before = Memory.current(Memory.Category.WEIGHTS);
        MiniLmCheckpoint c = MiniLmCheckpoint.load();
        long bytes = c.names().stream().mapToLong(n -> c.tensor(n).byteSize()).sum();
        assertEquals(4L * 22_565_376, bytes);
        assertEquals(before + bytes, Memory.current(Memory.Category.WEIGHTS));
        c.close();
        c.close();
        assertEquals(before, Memory.current(Memory.Category.WEIGHTS));
    }

    @Test
    void tokenizerResourceIsAnHfWordPieceTokenizer() throws Exception {
        try (InputStream in = MiniLmCheckpoint.tokenizer()) {
            String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(711_661, json.getBytes(StandardCharsets.UTF_8).length);
            assertEquals("WordPiece", new ObjectMapper().readTree(json).at("/model/type").asText());
        }
    }
}
