package dev.zotune.model;

import dev.zotune.Shared;
import dev.zotune.io.SafeTensors;
import dev.zotune.tensor.Parallel;
import dev.zotune.tensor.Tensor;
import dev.zotune.tensor.Vectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Same inputs, same bits: whatever the thread count and the vector width. */
class DeterminismTest {
    @TempDir Path tmp;
    private final int defaultThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() { Parallel.setThreads(defaultThreads); }

    /** A padded batch for stories260K, large enough that every kernel splits across threads. */
    private static Batch batch() {
        int B = 4, T = 96;
        Random r = new Random(7);
        int[] ids = new int[B * T], mask = new int[B * T];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 3 + r.nextInt(509);
            mask[i] = (i % T) >= (i / T) * 5 ? 1 : 0; // left padding of 0, 5, 10, 15 tokens
        }
        return new Batch(B, T, ids, mask, null);
    }

    @Test
    void logitsAreBitIdenticalWithOneAndTwoThreads() {
        Path model = Shared.path("models/stories260K-hf");
        try (TransformerModel m = Models.load(model.toString())) {
            Parallel.setThreads(1);
            float[] one = m.forward(batch());
            Parallel.setThreads(2);
            float[] two = m.forward(batch());
            assertArrayEquals(one, two);
        }
    }

    @Test
    void logitsAreBitIdenticalWithANarrowerVectorWidth() throws Exception {
        Path model = Shared.path("models/stories260K-hf");
        Batch b = batch();
        Path in = tmp.resolve("in.safetensors"), out = tmp.resolve("out.safetensors");
        SafeTensors.write(in, Map.of("input_ids", SafeTensors.int64(b.inputIds(), b.batch(), b.seqLen()),
                "attention_mask", SafeTensors.int64(b.attentionMask(), b.batch(), b.seqLen())));
        int narrower = Vectors.F.vectorBitSize() / 2;
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dzotune.vector.bits=" + narrower, "-cp", System.getProperty("java.class.path"), "dev.zotune.cli.Main",
                "forward", "--model", model.toString(), "--inputs", in.toString(), "--out", out.toString()))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("log.txt").toFile()).start();
        assertEquals(0, p.waitFor(), () -> readLog());
        try (TransformerModel m = Models.load(model.toString()); Arena arena = Arena.ofConfined()) {
            float[] here = m.forward(b);
            Tensor there = SafeTensors.map(out, arena).tensors().get("logits");
            assertArrayEquals(here, there.toFloats(), "logits at " + Vectors.F.vectorBitSize() + " vs " + narrower + " bits");
        }
    }

    private String readLog() {
        try { return java.nio.file.Files.readString(tmp.resolve("log.txt")); } catch (Exception e) { return e.toString(); }
    }
}
