package dev.zotune.model;

import dev.zotune.io.SafetensorsCheckpoint;
import dev.zotune.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model configs of the ZO-Bench paper in bench/configs load, and the layout built from each
 * has the published parameter count (tied lm_heads absent, as in the checkpoints).
 */
class BenchConfigsTest {
    private static final Path DIR = Path.of("bench/configs");

    private static ModelConfig load(String file) {
        Path p = DIR.resolve(file);
        return ModelConfig.from(SafetensorsCheckpoint.readJson(p), p.toString());
    }

    private static long count(ModelConfig c) {
        return ParameterLayout.of(c).values().stream().mapToLong(Tensor::numel).sum();
    }

    // Published: OPT-1.3B, OPT-13B, LLaMA-2-7B, Mistral-7B (HF model cards / num_parameters()). The others are
    // the sums of their architectures' tensors, which match the sizes HF reports (125M, 331M, 2.7B, 6.7B, 30B, 13B, 69B).
    // RoBERTa-large's published 355,359,744 is RobertaModel with its pooler; the RobertaForMaskedLM layout has no
    // pooler but the lm_head, whose dense layer is the pooler's size: + layer_norm (2·1024) + bias (50,265).
    @ParameterizedTest
    @CsvSource({
            "opt-125m.json,      125239296",
            "opt-350m.json,      331196416",
            "opt-1.3b.json,     1315758080",
            "opt-2.7b.json,     2651596800",
            "opt-6.7b.json,     6658473984",
            "opt-13b.json,     12853473280",
            "opt-30b.json,     29974540288",
            "llama-2-7b.json,   6738415616",
            "llama-2-13b.json, 13015864320",
            "llama-2-70b.json, 68976648192",
            "vicuna-7b.json,    6738415616",
            "mistral-7b.json,   7241732096",
            "roberta-large.json, 355412057"})
    void parameterCountIsThePublishedOne(String file, long published) {
        assertEquals(published, count(load(file)), file);
    }

    @Test
    void robertaLargeMatchesThePublishedCountWithItsPooler() {
        ModelConfig c = load("roberta-large.json");
        Map<String, long[]> p = ParameterLayout.of(c);
        long pooler = 1024L * 1024 + 1024;   // pooler.dense, not in the MLM checkpoint
        assertEquals(pooler, Tensor.numel(p.get("lm_head.dense.weight")) + Tensor.numel(p.get("lm_head.dense.bias")));
        assertEquals(355_359_744L, count(c) - 2 * 1024 - c.vocabSize(), "with the pooler in place of the lm_head");
        assertArrayEquals(new long[] {1, 1024}, p.get("roberta.embeddings.token_type_embeddings.weight"));
    }

    @Test
    void everyConfigInTheFolderHasACount() throws IOException {
        Set<String> listed = new TreeSet<>(Arrays.asList("opt-125m.json", "opt-350m.json", "opt-1.3b.json", "opt-2.7b.json",
                "opt-6.7b.json", "opt-13b.json", "opt-30b.json", "llama-2-7b.json", "llama-2-13b.json", "llama-2-70b.json",
                "vicuna-7b.json", "mistral-7b.json", "roberta-large.json"));
        try (Stream<Path> files = Files.list(DIR)) {
            assertEquals(listed, files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json"))
                    .collect(Collectors.toCollection(TreeSet::new)));
        }
    }

    @Test
    void architectureDetailsAreRead() {
        ModelConfig opt350 = load("opt-350m.json");
        Map<String, long[]> p = ParameterLayout.of(opt350);
        assertFalse(opt350.layerNormBefore());
        assertArrayEquals(new long[] {1024, 512}, p.get("model.decoder.project_in.weight"));
        assertArrayEquals(new long[] {50272, 512}, p.get("model.decoder.embed_tokens.weight"));
        assertFalse(p.containsKey("model.decoder.final_layer_norm.weight"), "post-LN OPT has no final layer norm");

        ModelConfig llama70 = load("llama-2-70b.json");
        assertEquals(8, llama70.kvHeads());
        assertArrayEquals(new long[] {1024, 8192}, ParameterLayout.of(llama70).get("model.layers.79.self_attn.k_proj.weight"));

        ModelConfig mistral = load("mistral-7b.json");
        assertEquals(4096, mistral.slidingWindow());
        assertEquals(8, mistral.kvHeads());
        assertTrue(ParameterLayout.of(mistral).containsKey("lm_head.weight"));
    }
}
