package dev.zotune.model;

import dev.zotune.Shared;
import dev.zotune.io.SafeTensors;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Tensor;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bf16 and fp16 checkpoints load and run in fp32 compute: a half-precision copy of stories260K
 * gives the same greedy tokens and nearly the same loss as the fp32 original.
 */
class HalfPrecisionStorageTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void halfPrecisionCopyBehavesLikeTheOriginal(DType dtype) throws IOException {
        Path src = Shared.path("models/stories260K-hf");
        Path dir = Files.createDirectories(tmp.resolve(dtype.name()));
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> half = new LinkedHashMap<>();
            SafeTensors.map(src.resolve("model.safetensors"), arena).tensors().forEach((name, t) -> half.put(name, convert(t, dtype)));
            SafeTensors.write(dir.resolve("model.safetensors"), half);
        }
        int[] ids = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315};
        try (TransformerModel full = Models.load(src.toString()); TransformerModel low = Models.load(dir.toString())) {
            assertEquals(dtype, low.checkpoint().tensor("model.embed_tokens.weight").dtype());
            int V = full.outputDim();
            float[] a = full.forward(Batch.of(ids)), b = low.forward(Batch.of(ids));
            double la = Loss.causalLm(a, 1, ids.length, V, ids), lb = Loss.causalLm(b, 1, ids.length, V, ids);
            assertTrue(Math.abs(la - lb) < 0.05 * la + 0.01, dtype + ": loss " + lb + " vs fp32 " + la);
            assertEquals(java.util.Arrays.toString(Generator.greedy(full, new int[] {1}, 20, -1, t -> {})),
                    java.util.Arrays.toString(Generator.greedy(low, new int[] {1}, 20, -1, t -> {})), dtype + " greedy tokens");
        }
    }

    /** Rounds an fp32 tensor to {@code dtype} (round to nearest even), on the heap. */
    private static Tensor convert(Tensor t, DType dtype) {
        float[] f = t.toFloats();
        MemorySegment seg = MemorySegment.ofArray(new short[f.length]);
        for (int i = 0; i < f.length; i++)
            seg.setAtIndex(ValueLayout.JAVA_SHORT, i, dtype == DType.F16 ? Float.floatToFloat16(f[i]) : RandomCheckpoint.bf16(f[i]));
        return new Tensor(dtype, t.shape(), seg);
    }
}
