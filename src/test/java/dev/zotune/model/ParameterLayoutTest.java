package dev.zotune.model;

import dev.zotune.Shared;
import dev.zotune.io.SafetensorsCheckpoint;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The layout derived from a config names exactly the tensors of the real checkpoints. */
class ParameterLayoutTest {
    @ParameterizedTest
    @ValueSource(strings = {"conformance/opt-pre-ln", "conformance/opt-post-ln-project", "conformance/llama-gqa",
            "conformance/llama-mha-tied", "conformance/mistral-sliding", "conformance/roberta-mlm", "conformance/bert-mlm",
            "models/stories260K-hf"})
    void layoutMatchesCheckpoint(String rel) {
        Path dir = Shared.path(rel);
        try (SafetensorsCheckpoint ck = new SafetensorsCheckpoint(dir)) {
            ModelConfig c = ModelConfig.from(ck.config(), rel);
            Map<String, String> want = new TreeMap<>(), got = new TreeMap<>();
            for (String n : ck.names()) want.put(n, java.util.Arrays.toString(ck.tensor(n).shape()));
            ParameterLayout.of(c).forEach((n, s) -> got.put(n, java.util.Arrays.toString(s)));
            assertEquals(want, got);
        }
    }
}
